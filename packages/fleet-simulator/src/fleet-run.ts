/**
 * Runs a fleet through a scenario in compressed time: devices are grouped under
 * gateways, each gateway posts its devices' readings as one batch per tick, and the
 * reporting interval shortens while it rains (event-driven sampling), so load rises
 * with the storm.
 */
import { v7 as uuidv7 } from 'uuid';
import { sendBatch, type IngestClientOptions, type LedgerEvent } from './ingest-client';
import { initialState, makeFleet, rainfall, step, type SimDevice, type SimState, defaultStorm, type StormProfile } from './storm-scenario';

export interface FleetRunOptions extends Omit<IngestClientOptions, 'token'> {
  token: string;
  devices: number;
  durationSeconds: number;
  /** Simulated hours the scenario covers (the storm's length). */
  simulatedHours?: number;
  devicesPerGateway?: number;
  /** Real milliseconds between gateway ticks. */
  tickMs?: number;
  /** Readings per device per tick when it rains hardest (1 when dry). */
  stormBurst?: number;
  seed?: number;
  storm?: StormProfile;
  onTick?: (p: number) => void;
  signal?: AbortSignal;
}

export async function runFleet(opts: FleetRunOptions): Promise<void> {
  const fleet = makeFleet(opts.devices, opts.seed);
  const perGateway = opts.devicesPerGateway ?? 50;
  const gateways: SimDevice[][] = [];
  for (let i = 0; i < fleet.length; i += perGateway) gateways.push(fleet.slice(i, i + perGateway));
  const states = new Map<string, SimState>(fleet.map((d) => [d.deviceId, initialState()]));
  const tickMs = opts.tickMs ?? 500;
  const totalTicks = Math.max(1, Math.round((opts.durationSeconds * 1000) / tickMs));
  const simHours = opts.simulatedHours ?? 12;
  const simStart = Date.now() - simHours * 3600e3; // event times end "now", never in the future
  const burst = opts.stormBurst ?? 4;
  const storm = opts.storm ?? defaultStorm;
  const inflight = new Set<Promise<unknown>>();
  for (let tick = 0; tick < totalTicks && !opts.signal?.aborted; tick++) {
    const t0 = Date.now();
    const p = tick / totalTicks;
    opts.onTick?.(p);
    for (const devices of gateways) {
      const events: LedgerEvent[] = [];
      for (const d of devices) {
        const intensity = rainfall(p, d, storm) / (storm.peakRainMmH * d.exposure);
        const readings = Math.max(1, Math.round(1 + (burst - 1) * Math.min(1, intensity)));
        const dtHours = simHours / totalTicks / readings;
        for (let r = 0; r < readings; r++) {
          const sub = p + r / readings / totalTicks;
          const next = step(d, states.get(d.deviceId)!, sub, dtHours, storm);
          states.set(d.deviceId, next.state);
          events.push({ eventId: uuidv7(), deviceId: d.deviceId, ts: new Date(simStart + sub * simHours * 3600e3).toISOString(), metrics: next.metrics });
        }
      }
      const sending = sendBatch(events, opts).finally(() => inflight.delete(sending));
      inflight.add(sending);
    }
    const wait = tickMs - (Date.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inflight);
}
