/**
 * Rates over time, as pure functions: the produce profile of the autoscaling scenario (a low rate,
 * a step up, a hold, a step back down) and a pacer that lets a consumer work at a fixed rate.
 */

/** Seconds are counted from the start of the profile. */
export interface StepProfile {
  lowRate: number;
  highRate: number;
  /** The step up. */
  stepUpAt: number;
  /** The step back down. */
  stepDownAt: number;
  /** The profile ends (nothing is produced after). */
  endAt: number;
}

export function validateProfile(p: StepProfile): StepProfile {
  if (!(p.lowRate >= 0 && p.highRate > p.lowRate)) throw new Error(`the step must go up: low ${p.lowRate}/s, high ${p.highRate}/s`);
  if (!(0 <= p.stepUpAt && p.stepUpAt < p.stepDownAt && p.stepDownAt <= p.endAt)) {
    throw new Error(`times must be ordered 0 <= stepUpAt < stepDownAt <= endAt, got ${p.stepUpAt}, ${p.stepDownAt}, ${p.endAt}`);
  }
  return p;
}

/** Messages per second at time t. */
export function rateAt(p: StepProfile, t: number): number {
  if (t < 0 || t >= p.endAt) return 0;
  return t >= p.stepUpAt && t < p.stepDownAt ? p.highRate : p.lowRate;
}

/** Messages the profile has asked for from 0 to t (the integral of the rate), so a producer that fell behind catches up. */
export function messagesDue(p: StepProfile, t: number): number {
  const span = (from: number, to: number) => Math.max(0, Math.min(t, to) - from);
  const low = span(0, p.stepUpAt) + Math.max(0, Math.min(t, p.endAt) - p.stepDownAt);
  return Math.floor(low * p.lowRate + span(p.stepUpAt, p.stepDownAt) * p.highRate + 1e-9);
}

/**
 * A fixed work rate: each `take(n, now)` books n messages of work at `ratePerSecond` and returns
 * the milliseconds to wait before they count as done. Idle time earns no credit, so a consumer
 * that had nothing to do cannot burst above its rate afterwards.
 */
export class Pacer {
  private freeAt = -Infinity;

  constructor(readonly ratePerSecond: number) {
    if (!(ratePerSecond > 0)) throw new Error(`ratePerSecond must be positive, got ${ratePerSecond}`);
  }

  take(n: number, now: number): number {
    const start = Math.max(this.freeAt, now);
    this.freeAt = start + (n / this.ratePerSecond) * 1000;
    return this.freeAt - now;
  }
}
