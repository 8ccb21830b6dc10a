import {
  firstSlot,
  mergeLoadReports,
  pacingPlan,
  percentiles,
  phaseMs,
  slotAt,
  splitConnections,
  strideFor,
  type LoadReport,
} from '../../scenarios/support/paced-load';

describe('the pacing of the keep-alive load', () => {
  it('gives each connection one request per interval so that all of them offer the asked rate', () => {
    expect(pacingPlan(10_000, 1000, 2)).toMatchObject({ connections: 10_000, ratePerSecond: 1000, intervalMs: 10_000, rampMs: 20_000 });
    expect(pacingPlan(100, 1000).intervalMs).toBe(100);
  });

  it('spreads the phases evenly over the interval, in an order unrelated to the connection index', () => {
    const plan = pacingPlan(10_000, 1000);
    const phases = Array.from({ length: plan.connections }, (_, i) => phaseMs(plan, i));
    // A permutation of 0, 1, 2 ... 9,999 ms: one connection per millisecond of the interval.
    expect([...phases].sort((a, b) => a - b)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(phases.slice(0, 4)).not.toEqual([0, 1, 2, 3]);
    expect(slotAt(plan, 5000, 1, 3)).toBe(5000 + phaseMs(plan, 1) + 30_000);
  });

  it('picks a stride that shares no factor with the connection count', () => {
    expect(strideFor(10_000)).toBe(6181);
    expect(strideFor(4)).toBe(3);
    expect(strideFor(1)).toBe(1);
  });

  it('opens connections evenly over the ramp, then offers exactly connections / interval requests per second', () => {
    const plan = pacingPlan(1000, 250, 2); // 4 s interval, 8 s ramp
    const firstSends = Array.from({ length: plan.connections }, (_, i) => slotAt(plan, 0, i, firstSlot(plan, i)));
    // Each connection's first request comes at most one interval after it opens, never before.
    firstSends.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual((i / 1000) * 8000 - 1e-6);
      expect(t).toBeLessThan((i / 1000) * 8000 + 4000);
    });
    // 125 connections open per second; each sends first within an interval of opening (on average half of it), so
    // by 4 s about 125 × 4 × ½ = 250 have sent, not all 1,000 at once.
    const openedBy = (t: number) => firstSends.filter((s) => s < t).length;
    expect(openedBy(4000)).toBeGreaterThan(200);
    expect(openedBy(4000)).toBeLessThan(300);
    expect(openedBy(12_000)).toBe(1000);
    let slotsInOneSecond = 0;
    for (let i = 0; i < plan.connections; i++)
      for (let k = firstSlot(plan, i); k < 6; k++) {
        const t = slotAt(plan, 0, i, k);
        if (t >= 14_000 && t < 15_000) slotsInOneSecond++;
      }
    expect(slotsInOneSecond).toBe(250);
  });

  it('refuses a plan without connections or without a rate', () => {
    expect(() => pacingPlan(0, 10)).toThrow(/connections must be a positive integer/);
    expect(() => pacingPlan(10, 0)).toThrow(/ratePerSecond must be positive/);
    expect(() => pacingPlan(10, 10, 0.5)).toThrow(/rampIntervals must be at least 1/);
  });

  it('splits connections over load processes interleaved, each index once', () => {
    const parts = splitConnections(10, 3);
    expect(parts).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
    expect(splitConnections(2, 5)).toEqual([[0], [1]]);
  });
});

describe('the results of the load processes', () => {
  it('are nearest-rank percentiles of every sample, not a histogram approximation', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1..1000, unsorted
    expect(percentiles(samples)).toEqual({ p50: 500, p90: 900, p99: 990, max: 1000 });
    expect(percentiles([7])).toEqual({ p50: 7, p90: 7, p99: 7, max: 7 });
    expect(percentiles([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
  });

  const report = (over: Partial<LoadReport>): LoadReport => ({
    connections: 5000,
    connectsOpened: 5000,
    closedEarly: 0,
    openAtWindowStart: 5000,
    openAtWindowEnd: 5000,
    sent: 15_000,
    ok: 15_000,
    non2xx: 0,
    statusCounts: {},
    errors: {},
    timeouts: 0,
    latenciesMs: [],
    rampSent: 5000,
    rampFailed: 0,
    sendLagP99Ms: 3,
    windowMs: 30_000,
    ...over,
  });

  it('merge into one: counts add up, percentiles come from all samples, every kind of failure counts', () => {
    const merged = mergeLoadReports([
      report({ latenciesMs: [1, 2, 3], non2xx: 2, statusCounts: { 503: 2 }, errors: { ECONNRESET: 1 }, sendLagP99Ms: 40 }),
      report({
        latenciesMs: [100],
        connectsOpened: 5003,
        closedEarly: 3,
        timeouts: 4,
        rampFailed: 4,
        statusCounts: { 503: 1, 429: 1 },
        non2xx: 2,
        errors: { ECONNRESET: 2 },
      }),
    ]);
    expect(merged).toMatchObject({
      connections: 10_000,
      connectsOpened: 10_003,
      closedEarly: 3,
      openAtWindowEnd: 10_000,
      ok: 30_000,
      okPerSecond: 1000,
      non2xx: 4,
      statusCounts: { 503: 3, 429: 1 },
      errors: { ECONNRESET: 3 },
      timeouts: 4,
      failed: 3 + 4 + 4,
      rampFailed: 4,
      sendLagP99Ms: 40,
    });
    expect(merged.latencyMs).toEqual({ p50: 2, p90: 100, p99: 100, max: 100 });
  });

  it('cannot be merged from nothing', () => {
    expect(() => mergeLoadReports([])).toThrow(/no load reports/);
  });
});
