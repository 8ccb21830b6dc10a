/**
 * How much a Node process (the API, the worker) stalled during a benchmark level, from two scrapes of its Prometheus
 * endpoint: before the level and after it. prom-client's default metrics give both figures:
 * - the event loop's delay, `nodejs_eventloop_lag_p99_seconds` and `_max_seconds`: monitorEventLoopDelay's
 *   histogram, which prom-client resets at every scrape, so the second scrape covers the level (all but the turn
 *   of the event loop that served the first scrape: Node's monitor does not count the interval it was reset in);
 * - the time in garbage collection, `nodejs_gc_duration_seconds_sum` (all kinds), a counter: the difference.
 */
import { counterValue } from '../../harness/metrics-text';

export interface ProcessPauses {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcMs: number;
}

export function processPauses(before: string, after: string): ProcessPauses {
  const ms = (seconds: number) => Math.round(seconds * 1000);
  return {
    loopDelayP99Ms: ms(counterValue(after, 'nodejs_eventloop_lag_p99_seconds')),
    loopDelayMaxMs: ms(counterValue(after, 'nodejs_eventloop_lag_max_seconds')),
    gcMs: ms(counterValue(after, 'nodejs_gc_duration_seconds_sum') - counterValue(before, 'nodejs_gc_duration_seconds_sum')),
  };
}

/** "p99 / max ms, GC ms" for a results table. */
export const formatPauses = (p: ProcessPauses): string => `${p.loopDelayP99Ms} / ${p.loopDelayMaxMs} ms, GC ${p.gcMs} ms`;
