import { collectDefaultMetrics, Registry } from 'prom-client';
import { formatPauses, processPauses } from '../../scenarios/support/process-pauses';

const scrape = (
  gcSum: number,
  p99: number,
  max: number,
) => `# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE nodejs_gc_duration_seconds histogram
nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 3
nodejs_gc_duration_seconds_sum{kind="minor"} ${gcSum * 0.75}
nodejs_gc_duration_seconds_count{kind="minor"} 40
nodejs_gc_duration_seconds_sum{kind="major"} ${gcSum * 0.25}
nodejs_gc_duration_seconds_count{kind="major"} 2
# TYPE nodejs_eventloop_lag_p99_seconds gauge
nodejs_eventloop_lag_p99_seconds ${p99}
# TYPE nodejs_eventloop_lag_max_seconds gauge
nodejs_eventloop_lag_max_seconds ${max}
# TYPE nodejs_eventloop_lag_p90_seconds gauge
nodejs_eventloop_lag_p90_seconds 0.5
`;

it('takes the loop delay from the second scrape and the GC time as the difference of all kinds', () => {
  const pauses = processPauses(scrape(1.2, 0.9, 2), scrape(1.5, 0.0312, 0.2049));
  expect(pauses).toEqual({ loopDelayP99Ms: 31, loopDelayMaxMs: 205, gcMs: 300 });
  expect(formatPauses(pauses)).toBe('31 / 205 ms, GC 300 ms');
});

it("reads the metrics prom-client's default collectors expose under those names", async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Enough short-lived garbage for a few scavenges, so the GC histogram has samples.
  let junk: Array<{ i: number }> = [];
  for (let i = 0; i < 2_000_000; i++) {
    junk.push({ i });
    if (junk.length === 100_000) junk = [];
  }
  expect(junk).toHaveLength(0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const text = await registry.metrics();
  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds', 'nodejs_gc_duration_seconds_sum'])
    expect(text).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
  const pauses = processPauses(text, text);
  expect(pauses.gcMs).toBe(0);
  expect(pauses.loopDelayMaxMs).toBeGreaterThanOrEqual(0);
});
