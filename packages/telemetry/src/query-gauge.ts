/**
 * A Prometheus gauge whose values are read from somewhere else (a database count, a replica's replay position)
 * when Prometheus scrapes, not maintained in memory. Bounded cost: at most one read per `maxAgeMs` however many
 * scrapers there are (concurrent scrapes share the read in flight), and a scrape never waits longer than
 * `timeoutMs`. When a read fails or times out the gauge has no samples until the next good read, so a rule
 * sees the series go stale rather than a made-up value.
 */
import { Gauge, type Registry } from 'prom-client';

export interface GaugeSample<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

export interface QueryGaugeOptions<L extends string> {
  registry: Registry;
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Reads the current values. Samples with a non-finite value are dropped. */
  read: () => Promise<GaugeSample<L>[]>;
  /** A read younger than this is served from memory (default 5 s). */
  maxAgeMs?: number;
  /** A scrape waits at most this long for a read (default 2 s); the read is then counted as failed. */
  timeoutMs?: number;
  /** Told about a failed read (rate-limited by maxAgeMs, since failures are cached too). */
  onError?: (err: Error) => void;
  /** Clock, for tests. */
  now?: () => number;
}

export interface QueryGauge {
  gauge: Gauge;
  /** Forgets the cached read, so the next scrape reads again. */
  invalidate(): void;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function registerQueryGauge<L extends string>(options: QueryGaugeOptions<L>): QueryGauge {
  const maxAgeMs = options.maxAgeMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 2000;
  const now = options.now ?? Date.now;
  let samples: GaugeSample<L>[] = [];
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;

  const refresh = (): Promise<void> =>
    (reading ??= withTimeout(Promise.resolve().then(options.read), timeoutMs, `reading ${options.name}`)
      .then(
        (fresh) => {
          samples = fresh.filter((s) => Number.isFinite(s.value));
        },
        (err: unknown) => {
          samples = [];
          options.onError?.(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => {
        readAt = now();
        reading = undefined;
      }));

  const gauge = new Gauge<L>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames ?? [],
    registers: [options.registry],
    async collect() {
      if (now() - readAt >= maxAgeMs) await refresh();
      this.reset();
      // prom-client gives a gauge without labels a 0 after reset(); "no read" must be no sample, not a zero.
      if (samples.length === 0 && (options.labelNames ?? []).length === 0) this.remove();
      for (const s of samples) this.set(s.labels, s.value);
    },
  });
  return {
    gauge,
    invalidate: () => {
      readAt = Number.NEGATIVE_INFINITY;
    },
  };
}
