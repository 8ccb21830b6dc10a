/**
 * Time series of a scenario ([seconds since the scenario started, value]) and the figures read off
 * them: rates from cumulative counters, and the reaction to a step (when the lag crossed the
 * threshold, when the scaler asked for more replicas, when the lag was back under the threshold).
 */
import type { Series } from '../../harness/scenario';

export type Point = [number, number];

/** Named series in the order they were first sampled. */
export class SeriesRecorder {
  private readonly series = new Map<string, Series>();

  add(name: string, unit: string, t: number, value: number): void {
    let s = this.series.get(name);
    if (!s) {
      s = { name, unit, points: [] };
      this.series.set(name, s);
    }
    s.points.push([Math.round(t * 100) / 100, value]);
  }

  points(name: string): Point[] {
    return this.series.get(name)?.points ?? [];
  }

  all(): Series[] {
    return [...this.series.values()];
  }
}

/** Per-second rates between successive samples of a cumulative counter, stamped at the later sample. */
export function ratesFromTotals(totals: Point[]): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < totals.length; i++) {
    const [t0, v0] = totals[i - 1]!;
    const [t1, v1] = totals[i]!;
    if (t1 > t0) out.push([t1, Math.round(((v1 - v0) / (t1 - t0)) * 10) / 10]);
  }
  return out;
}

/** Time of the first point at or after `from` whose value satisfies `test`. */
export function firstTime(points: Point[], from: number, test: (v: number) => boolean): number | undefined {
  return points.find(([t, v]) => t >= from && test(v))?.[0];
}

export interface ScaleRequest {
  /** Seconds since the scenario started. */
  t: number;
  from: number;
  to: number;
}

export interface StepReaction {
  /** First lag sample after the step above the level at which one replica is due to scale up. */
  thresholdCrossedAt?: number;
  /** The first scale-up the scaler applied after the step. */
  firstScaleUpAt?: number;
  /** firstScaleUpAt − stepAt. */
  fromStepSeconds?: number;
  /** firstScaleUpAt − thresholdCrossedAt: what the polling interval bounds. */
  fromThresholdSeconds?: number;
  /** First lag sample under the threshold after it had been crossed, and its time since the step. */
  lagUnderAt?: number;
  lagUnderAfterStepSeconds?: number;
  maxLag: number;
  maxLagAt?: number;
}

/**
 * Reads the reaction to a step at `stepAt` off the lag samples and the scale requests.
 * `scaleUpLag` is the lag at which a scale-up is due (lagPerReplica × replicas × (1 + tolerance));
 * `threshold` the lag that counts as drained (lagPerReplica).
 */
export function stepReaction(input: { stepAt: number; lag: Point[]; requests: ScaleRequest[]; scaleUpLag: number; threshold: number }): StepReaction {
  const { stepAt, lag } = input;
  const r: StepReaction = { maxLag: 0 };
  for (const [t, v] of lag) {
    if (t >= stepAt && v > r.maxLag) {
      r.maxLag = v;
      r.maxLagAt = t;
    }
  }
  r.thresholdCrossedAt = firstTime(lag, stepAt, (v) => v > input.scaleUpLag);
  r.firstScaleUpAt = input.requests.find((q) => q.t >= stepAt && q.to > q.from)?.t;
  if (r.firstScaleUpAt !== undefined) r.fromStepSeconds = round2(r.firstScaleUpAt - stepAt);
  if (r.firstScaleUpAt !== undefined && r.thresholdCrossedAt !== undefined) r.fromThresholdSeconds = round2(r.firstScaleUpAt - r.thresholdCrossedAt);
  if (r.thresholdCrossedAt !== undefined) {
    r.lagUnderAt = firstTime(lag, r.thresholdCrossedAt, (v) => v < input.threshold);
    if (r.lagUnderAt !== undefined) r.lagUnderAfterStepSeconds = round2(r.lagUnderAt - stepAt);
  }
  return r;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
