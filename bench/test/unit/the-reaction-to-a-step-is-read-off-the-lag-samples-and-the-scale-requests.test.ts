import { SeriesRecorder, firstTime, ratesFromTotals, stepReaction, type Point } from '../../scenarios/support/series';

describe('the series recorder', () => {
  it('keeps named series in the order first sampled, with times rounded to 10 ms', () => {
    const rec = new SeriesRecorder();
    rec.add('total lag', 'messages', 0.5014, 10);
    rec.add('replicas', 'replicas', 0.5014, 1);
    rec.add('total lag', 'messages', 1.0, 20);
    expect(rec.all()).toEqual([
      {
        name: 'total lag',
        unit: 'messages',
        points: [
          [0.5, 10],
          [1, 20],
        ],
      },
      { name: 'replicas', unit: 'replicas', points: [[0.5, 1]] },
    ]);
    expect(rec.points('absent')).toEqual([]);
  });
});

describe('rates from a cumulative counter', () => {
  it('are the differences per second between samples, stamped at the later one', () => {
    expect(
      ratesFromTotals([
        [0, 0],
        [0.5, 50],
        [1, 550],
        [2, 1550],
        [2, 1550],
      ]),
    ).toEqual([
      [0.5, 100],
      [1, 1000],
      [2, 1000],
    ]);
  });
});

describe('the reaction to a step', () => {
  // Lag sampled every 0.5 s: flat, then growing 800/s from the step at 10 s, drained from 20 s.
  const lag: Point[] = [];
  for (let t = 0; t <= 40; t += 0.5) {
    const v = t < 10 ? 30 : t < 20 ? 30 + (t - 10) * 800 : Math.max(0, 8030 - (t - 20) * 600);
    lag.push([t, v]);
  }

  it('times the scale request from the step and from the lag crossing, and the drain under the threshold', () => {
    const r = stepReaction({
      stepAt: 10,
      lag,
      requests: [
        { t: 3, from: 2, to: 1 },
        { t: 14.2, from: 1, to: 5 },
        { t: 30, from: 5, to: 9 },
      ],
      scaleUpLag: 1100,
      threshold: 1000,
    });
    expect(r).toEqual({
      thresholdCrossedAt: 11.5, // 30 + 1.5 × 800 = 1230 > 1100; at 11 s it was 830
      firstScaleUpAt: 14.2,
      fromStepSeconds: 4.2,
      fromThresholdSeconds: 2.7,
      lagUnderAt: 32, // 8030 − 12 × 600 = 830
      lagUnderAfterStepSeconds: 22,
      maxLag: 8030,
      maxLagAt: 20,
    });
  });

  it('leaves out what did not happen: no scale-up, a lag that never drained', () => {
    const r = stepReaction({ stepAt: 10, lag: lag.filter(([t]) => t <= 20), requests: [{ t: 12, from: 3, to: 2 }], scaleUpLag: 1100, threshold: 1000 });
    expect(r.firstScaleUpAt).toBeUndefined();
    expect(r.fromStepSeconds).toBeUndefined();
    expect(r.lagUnderAt).toBeUndefined();
    expect(r.thresholdCrossedAt).toBe(11.5);
  });

  it('finds the first sample at or after a time that passes a test', () => {
    expect(firstTime(lag, 10, (v) => v > 5000)).toBe(16.5);
    expect(firstTime(lag, 0, (v) => v > 1e9)).toBeUndefined();
  });
});
