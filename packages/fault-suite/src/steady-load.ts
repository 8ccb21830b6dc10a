/**
 * A steady load of events with known ids: a batch every `intervalMs` through the real
 * API, each device's time moving forward with a share of late (out-of-order) events,
 * every event remembered so the checker can compute what each device's state must be.
 */
import { v7 as uuidv7 } from 'uuid';
import { newLedger, sendBatch, type Ledger, type LedgerEvent } from '@floodgate/fleet-simulator';

export interface SteadyLoad {
  ledger: Ledger;
  events: Map<string, LedgerEvent>;
  /** Wall-clock times of 202 answers, to measure when ingest recovered. */
  acceptedAt: number[];
  stop(): Promise<void>;
}

export interface SteadyLoadOptions {
  baseUrl: string;
  token: string;
  devicePrefix: string;
  devices: number;
  batchSize: number;
  intervalMs: number;
  /** Share of events stamped earlier than the device's newest (redelivery-like disorder). */
  lateShare?: number;
  maxAttempts?: number;
}

export function startSteadyLoad(opts: SteadyLoadOptions): SteadyLoad {
  const ledger = newLedger();
  const events = new Map<string, LedgerEvent>();
  const acceptedAt: number[] = [];
  const clock = new Map<string, number>();
  const start = Date.now() - 3600e3;
  let seq = 0;
  let stopped = false;
  const inflight = new Set<Promise<unknown>>();
  const loop = (async () => {
    while (!stopped) {
      const batch: LedgerEvent[] = [];
      for (let i = 0; i < opts.batchSize; i++) {
        const deviceId = `${opts.devicePrefix}-${(seq++ % opts.devices).toString().padStart(3, '0')}`;
        const newest = clock.get(deviceId) ?? start;
        const late = Math.random() < (opts.lateShare ?? 0.1);
        const t = late ? newest - 1000 - Math.floor(Math.random() * 60000) : newest + 1000;
        if (!late) clock.set(deviceId, t);
        const e: LedgerEvent = {
          eventId: uuidv7(),
          deviceId,
          ts: new Date(t).toISOString(),
          metrics: { rain_mm_h: (seq % 50) / 10, river_level_m: 1 + (seq % 7) / 10 },
        };
        events.set(e.eventId, e);
        batch.push(e);
      }
      const p = sendBatch(batch, { baseUrl: opts.baseUrl, token: opts.token, ledger, maxAttempts: opts.maxAttempts ?? 14, timeoutMs: 8000 }).then((outcome) => {
        if (outcome === 'accepted') acceptedAt.push(Date.now());
      });
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
  })();
  return {
    ledger,
    events,
    acceptedAt,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inflight);
    },
  };
}
