import { keptUp, searchSteadyRate, type SteadyLevel, type Verdict } from '../../scenarios/support/steady-rate';

/** Probes every 50 ms over `seconds`, with the latency `latencyAt(ms since the level started)`. */
function level(latencyAt: (t: number) => number, seconds = 10, extra: Partial<SteadyLevel> = {}): SteadyLevel {
  const probes: Array<[number, number]> = [];
  for (let t = 0; t < seconds * 1000; t += 50) probes.push([t, latencyAt(t)]);
  return { offered: 10_000, sent: 10_000, failures: 0, lostProbes: 0, probes, ...extra };
}

describe('a fixed-rate level', () => {
  it('kept up when the latency stays flat, noise and a slow warm-up included', () => {
    const v = keptUp(level((t) => (t < 1000 ? 900 : 60 + ((t / 50) % 7) * 10)));
    expect(v.keptUp).toBe(true);
    expect(v.firstHalfP50Ms).toBeGreaterThanOrEqual(60);
    expect(v.secondHalfP50Ms).toBeLessThanOrEqual(120);
    expect(v.reason).toMatch(/^median \d+ ms in the first half, \d+ ms in the second$/);
  });

  it('fell behind when a backlog grows for the whole level', () => {
    // 10 % over capacity: the latency climbs by 100 ms per second.
    const v = keptUp(level((t) => 50 + t / 10));
    expect(v.keptUp).toBe(false);
    expect(v.reason).toMatch(/latency grew: median \d+ ms in the first half, \d+ ms in the second/);
    expect(v.secondHalfP50Ms).toBeGreaterThan(v.firstHalfP50Ms * 2);
  });

  it('does not call a small rise (a quarter plus 50 ms) growth, but a larger one', () => {
    expect(keptUp(level((t) => (t < 5500 ? 20 : 70))).keptUp).toBe(true);
    expect(keptUp(level((t) => (t < 5500 ? 20 : 80))).keptUp).toBe(false);
    expect(keptUp(level((t) => (t < 5500 ? 800 : 1040))).keptUp).toBe(true);
    expect(keptUp(level((t) => (t < 5500 ? 800 : 1060))).keptUp).toBe(false);
    expect(
      keptUp(
        level((t) => (t < 5500 ? 20 : 80)),
        { growthFloorMs: 100 },
      ).keptUp,
    ).toBe(true);
    expect(
      keptUp(
        level((t) => (t < 5500 ? 800 : 1060)),
        { growthFactor: 1.5 },
      ).keptUp,
    ).toBe(true);
  });

  it('kept up when a backlog builds early and then holds (the latency is high but flat)', () => {
    const v = keptUp(level((t) => Math.min(1200, 100 + t / 2)));
    expect(v).toMatchObject({ keptUp: true, firstHalfP50Ms: 1200, secondHalfP50Ms: 1200 });
  });

  it('fell behind when requests were refused, probes were lost or the rate was not sent', () => {
    const flat = () => 50;
    expect(keptUp(level(flat, 10, { failures: 3 }))).toMatchObject({ keptUp: false, reason: '3 requests were refused or failed' });
    expect(keptUp(level(flat, 10, { lostProbes: 1 }))).toMatchObject({ keptUp: false, reason: '1 probes never became visible' });
    expect(keptUp(level(flat, 10, { sent: 9000 }))).toMatchObject({ keptUp: false, reason: 'only 9000 of 10000 events/s were sent' });
    expect(keptUp(level(flat, 10, { sent: 9600 })).keptUp).toBe(true);
  });

  it('cannot tell without probes after the warm-up', () => {
    expect(keptUp(level(() => 50, 1))).toMatchObject({ keptUp: false, reason: 'too few probes after the warm-up to tell' });
  });
});

/** A fake pipeline that keeps up with any rate up to `capacity`. */
function pipeline(capacity: number) {
  const tried: number[] = [];
  const measure = async (rate: number): Promise<Verdict> => {
    tried.push(rate);
    const ok = rate <= capacity;
    return { keptUp: ok, reason: ok ? 'flat' : 'grew', firstHalfP50Ms: 50, secondHalfP50Ms: ok ? 50 : 500 };
  };
  return { tried, measure };
}

describe('the steady-rate search', () => {
  it('walks down from the bound until a rate keeps up, then tries once between it and the rate above', async () => {
    const p = pipeline(12_000);
    const found = await searchSteadyRate(30_000, p.measure);
    // 30,000 down to 12,288 fell behind; 9,830 kept up; the middle of 9,830 and 12,288 (10,990) too.
    expect(p.tried).toEqual([30_000, 24_000, 19_200, 15_360, 12_288, 9830, 10_990]);
    expect(found.rate).toBe(10_990);
    expect(found.steps.map((s) => s.verdict.keptUp)).toEqual([false, false, false, false, false, true, true]);
  });

  it('keeps the lower rate when the middle one falls behind', async () => {
    const p = pipeline(10_000);
    const found = await searchSteadyRate(30_000, p.measure);
    expect(p.tried.slice(-2)).toEqual([9830, 10_990]);
    expect(found.rate).toBe(9830);
  });

  it('stops at the bound when the bound itself keeps up', async () => {
    const p = pipeline(1e9);
    const found = await searchSteadyRate(10_000, p.measure);
    expect(p.tried).toEqual([10_000]);
    expect(found).toEqual({ rate: 10_000, steps: [{ rate: 10_000, verdict: expect.objectContaining({ keptUp: true }) }] });
  });

  it('tries once between the bound and the rate below it when only the bound fell behind', async () => {
    const p = pipeline(9000);
    const found = await searchSteadyRate(10_000, p.measure);
    expect(p.tried).toEqual([10_000, 8000, 8944]);
    expect(found.rate).toBe(8944);
  });

  it('fails naming every rate tried when none keeps up', async () => {
    const p = pipeline(100);
    await expect(searchSteadyRate(10_000, p.measure, { maxSteps: 3, factor: 0.5 })).rejects.toThrow(
      'no steady rate kept up: 10000 events/s (grew); 5000 events/s (grew); 2500 events/s (grew)',
    );
  });

  it('refuses a bound or a factor that cannot make a search', async () => {
    const p = pipeline(100);
    await expect(searchSteadyRate(0, p.measure)).rejects.toThrow(/upper bound must be positive/);
    await expect(searchSteadyRate(1000, p.measure, { factor: 1 })).rejects.toThrow(/factor must be in/);
    expect(p.tried).toEqual([]);
  });
});
