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

/** Short-lived garbage for a few scavenges, so the GC histogram gets samples. */
function makeGarbage(): void {
  let junk: Array<{ i: number }> = [];
  for (let i = 0; i < 2_000_000; i++) {
    junk.push({ i });
    if (junk.length === 100_000) junk = [];
  }
}

it("reads a stall and GC between two scrapes of prom-client's own default metrics", async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  makeGarbage();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = await registry.metrics();
  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds', 'nodejs_gc_duration_seconds_sum'])
    expect(before).toMatch(new RegExp(`^${name}[{ ]`, 'm'));

  // Between the scrapes: the event loop blocked for 200 ms, and more garbage collected. Not in the scrape's own turn
  // of the loop: Node's delay monitor does not count the interval in which it was reset.
  await new Promise((resolve) => setTimeout(resolve, 30));
  const until = Date.now() + 200;
  while (Date.now() < until);
  makeGarbage();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const pauses = processPauses(before, await registry.metrics());
  expect(pauses.loopDelayMaxMs).toBeGreaterThanOrEqual(150);
  expect(pauses.gcMs).toBeGreaterThan(0);
});
