/** HTTP load with autocannon (loopback, bounded in time), reported as a `ResultRow`; percentiles of own samples. */
import autocannon from 'autocannon';
import type { ResultRow } from './scenario';

export interface HttpLoad {
  label: string;
  ceiling?: boolean;
  url: string;
  method: 'GET' | 'POST';
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** Request bodies, used round-robin. */
  bodies?: string[];
  /** Request paths, used round-robin (e.g. one device per request). */
  paths?: string[];
  /** Events per request: throughput is reported in events/s when set, else in req/s. */
  eventsPerRequest?: number;
  extra?: Record<string, number | string>;
}

/**
 * Seconds of unreported load before an ingest scenario measures: long enough for the broker's JIT as well as the
 * API's. A freshly started Kafka spent 70-90 % of a core on the API's produce requests in its first seconds and
 * 20-40 % once compiled (per-second /proc samples, 2026-11-24); a 2 s warm-up left that transient inside the first
 * level, which the ceiling, measured last on a warm broker, never pays.
 */
export function ingestWarmUpSeconds(quick: boolean): number {
  return quick ? 3 : 10;
}

export async function httpLoad(o: HttpLoad): Promise<ResultRow> {
  let i = 0;
  const { bodies, paths } = o;
  const result = await autocannon({
    url: o.url,
    method: o.method,
    connections: o.connections,
    duration: o.seconds,
    headers: o.headers ?? {},
    requests:
      bodies || paths
        ? [
            {
              setupRequest: (req) => {
                const n = i++;
                return { ...req, ...(bodies ? { body: bodies[n % bodies.length] } : {}), ...(paths ? { path: paths[n % paths.length] } : {}) };
              },
            },
          ]
        : undefined,
  });
  // Only 2xx answers count as throughput; the rest are errors and are reported as such.
  const answered = result['2xx'] + result.non2xx;
  const okPerSec = result.requests.average * (result['2xx'] / Math.max(1, answered));
  const events = o.eventsPerRequest;
  return {
    label: o.label,
    ceiling: o.ceiling ?? false,
    throughput: events ? { value: Math.round(okPerSec * events), unit: 'events/s' } : { value: Math.round(okPerSec), unit: 'req/s' },
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.non2xx + result.errors + result.timeouts,
    extra: { connections: o.connections, ...(events ? { 'req/s': Math.round(okPerSec), 'events/req': events } : {}), ...o.extra },
  };
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** p50/p90/p99/max of unsorted samples in milliseconds, rounded to 0.1 ms. */
export function latencySummary(samples: number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  return { p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(percentile(s, 100)) };
}
