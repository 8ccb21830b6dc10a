import { Pacer, messagesDue, rateAt, validateProfile, type StepProfile } from '../../scenarios/support/rates';

const profile: StepProfile = { lowRate: 100, highRate: 1000, stepUpAt: 10, stepDownAt: 40, endAt: 70 };

describe('the step profile', () => {
  it('is low, then high from the step up, low again from the step down, and silent outside the run', () => {
    expect([-1, 0, 9.99, 10, 39.99, 40, 69.99, 70].map((t) => rateAt(profile, t))).toEqual([0, 100, 100, 1000, 1000, 100, 100, 0]);
  });

  it('asks for the integral of its rate, so a producer that fell behind catches up', () => {
    expect(messagesDue(profile, 0)).toBe(0);
    expect(messagesDue(profile, 5)).toBe(500);
    expect(messagesDue(profile, 10)).toBe(1000);
    expect(messagesDue(profile, 10.5)).toBe(1500);
    expect(messagesDue(profile, 40)).toBe(1000 + 30_000);
    expect(messagesDue(profile, 70)).toBe(1000 + 30_000 + 3000);
    expect(messagesDue(profile, 500)).toBe(34_000);
  });

  it('rejects a step that does not go up, or times out of order', () => {
    expect(() => validateProfile({ ...profile, highRate: 50 })).toThrow(/the step must go up/);
    expect(() => validateProfile({ ...profile, stepDownAt: 5 })).toThrow(/times must be ordered/);
    expect(validateProfile(profile)).toBe(profile);
  });
});

describe('the pacer of an emulated worker', () => {
  it('makes n messages take n / rate seconds, one booking after the other', () => {
    const pacer = new Pacer(200);
    expect(pacer.take(20, 1000)).toBe(100);
    // Asked again at once: the second slice waits for the first.
    expect(pacer.take(20, 1000)).toBe(200);
    expect(pacer.take(20, 1150)).toBe(150);
  });

  it('earns no credit while idle, so it never bursts above its rate', () => {
    const pacer = new Pacer(200);
    pacer.take(20, 0);
    expect(pacer.take(200, 60_000)).toBe(1000);
  });

  it('holds its rate over many slices whatever their sizes', () => {
    const pacer = new Pacer(250);
    let now = 0;
    let done = 0;
    for (const n of [1, 30, 7, 25, 25, 12, 100]) {
      now += pacer.take(n, now);
      done += n;
    }
    expect(done / (now / 1000)).toBeCloseTo(250, 6);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new Pacer(0)).toThrow(/ratePerSecond must be positive/);
  });
});
