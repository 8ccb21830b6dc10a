/**
 * The scaling decision as a pure function: lag per partition, rates, current replicas, the
 * LagScaler spec, recent history and the clock in; the replica count, the reason in words and
 * the new history out. No I/O, so the controller and the local process pool share it and tests
 * drive it with a fake clock.
 *
 * Semantics follow the HPA (tolerance, stabilization windows, Pods/Percent step policies with
 * selectPolicy) with three differences that matter for Kafka consumers:
 * - replicas are computed from the whole lag and clamped at the partition count afterwards, so
 *   there is no dead zone below the cap (KEDA clips the metric at partitions x threshold, which
 *   with the 10 % tolerance leaves the HPA stuck at 63 of 64: kedacore/keda#2908, #4791);
 * - scale to zero and back around `activationLag` (to zero only 10 % below it, so a lag at the threshold does not
 *   flap);
 * - optional rate-aware sizing (`drainTargetSeconds`).
 */

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
}

export interface ScalerSpec {
  minReplicas: number;
  maxReplicas: number;
  lagPerReplica: number;
  activationLag: number;
  /** Group members each replica runs (the worker's WORKER_CONSUMERS); 1 when absent. */
  consumersPerReplica?: number;
  drainTargetSeconds?: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
  /** False when the group has no committed offset here (the reset policy decided the lag). */
  committed?: boolean;
}

export interface LagMeasurement {
  partitions: PartitionLag[];
  totalLag: number;
  /** Messages per second the group committed since the previous sample (undefined on the first). */
  consumeRate?: number;
  /** Messages per second appended to the topics since the previous sample. */
  produceRate?: number;
}

export interface Recommendation {
  at: number;
  replicas: number;
}

export interface ScaleEvent {
  at: number;
  /** Replicas added (positive) or removed (negative). */
  change: number;
}

/** What the decision remembers between calls; the caller keeps it and passes it back. */
export interface DecisionHistory {
  recommendations: Recommendation[];
  scaleEvents: ScaleEvent[];
  /** Messages per second one replica consumed while it had a backlog (rate-aware sizing). */
  capacityPerReplica?: number;
}

export interface DecisionInput {
  measurement: LagMeasurement;
  currentReplicas: number;
  spec: ScalerSpec;
  history: DecisionHistory;
  /** Milliseconds since the epoch (a fake clock in tests). */
  now: number;
}

export type LimitReason =
  | 'CappedByPartitions'
  | 'TooManyReplicas'
  | 'TooFewReplicas'
  | 'ScaleUpStabilized'
  | 'ScaleDownStabilized'
  | 'ScaleUpLimit'
  | 'ScaleDownLimit'
  | 'ScaleUpDisabled'
  | 'ScaleDownDisabled';

export interface Decision {
  desiredReplicas: number;
  /** The recommendation after clamping, before stabilization and step limits. */
  recommendedReplicas: number;
  /** Total lag exceeds `activeAbove`. */
  active: boolean;
  /**
   * The lag the activation compared against: `activationLag` while at zero replicas, and 10 % below it (the HPA's
   * tolerance) while running, so a steady lag straddling `activationLag` does not start and stop a replica by turns.
   */
  activeAbove: number;
  /** Which bounds or behaviours changed the outcome, in the order they applied. */
  limits: LimitReason[];
  /** How replicas were sized. */
  sizing: 'lag' | 'rate' | 'inactive';
  reason: string;
  history: DecisionHistory;
}

/** The HPA's default tolerance: a load within 10 % of the current replicas' target changes nothing. */
export const TOLERANCE = 0.1;

export const defaultScaleUp: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};

export const defaultScaleDown: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtRate = (n: number) => (n >= 100 ? fmt(n) : n.toFixed(1));

/**
 * Replicas that can have work: a partition goes to one group member at most, and each replica runs
 * `consumersPerReplica` members, so beyond ceil(partitions / members per replica) replicas would idle.
 * 0 when no partition is known (nothing caps).
 */
export function replicasWithPartitions(m: LagMeasurement, spec: Pick<ScalerSpec, 'consumersPerReplica'>): number {
  return Math.ceil(m.partitions.length / membersPerReplicaOf(spec));
}

/** The spec's consumersPerReplica as a whole number of at least 1 (absent means 1). */
function membersPerReplicaOf(spec: Pick<ScalerSpec, 'consumersPerReplica'>): number {
  return Math.max(1, Math.trunc(spec.consumersPerReplica ?? 1));
}

export function decideReplicas(input: DecisionInput): Decision {
  const { measurement: m, spec, now } = input;
  const current = Math.max(0, Math.trunc(input.currentReplicas));
  const limits: LimitReason[] = [];
  const words: string[] = [];
  const partitions = m.partitions.length;
  const cap = replicasWithPartitions(m, spec);
  const membersPerReplica = membersPerReplicaOf(spec);
  const totalLag = Math.max(0, m.totalLag);
  const history = normaliseHistory(input.history, now, spec);

  // 1. Rate-aware capacity: only a consumer with a backlog shows what it can do; a caught-up
  //    consumer's rate is the produce rate, and learning from it would never let replicas go down.
  const consumers = Math.min(current, cap || current);
  if (m.consumeRate !== undefined && m.consumeRate > 0 && consumers > 0 && totalLag >= spec.lagPerReplica) {
    const measured = m.consumeRate / consumers;
    history.capacityPerReplica = history.capacityPerReplica === undefined ? measured : 0.5 * history.capacityPerReplica + 0.5 * measured;
  }

  // 2. The load in units of replicas, uncapped. Activation has hysteresis: a running workload goes to zero
  //    only once the lag is 10 % below activationLag.
  const activeAbove = current > 0 ? spec.activationLag * (1 - TOLERANCE) : spec.activationLag;
  const active = totalLag > activeAbove;
  let load: number;
  let sizing: Decision['sizing'];
  if (!active && spec.minReplicas === 0) {
    load = 0;
    sizing = 'inactive';
    words.push(
      current > 0 && spec.activationLag > 0
        ? `lag ${fmt(totalLag)} ≤ activation ${fmt(spec.activationLag)} − ${TOLERANCE * 100} %`
        : `lag ${fmt(totalLag)} ≤ activation ${fmt(spec.activationLag)}`,
    );
  } else if (
    spec.drainTargetSeconds !== undefined &&
    history.capacityPerReplica !== undefined &&
    history.capacityPerReplica > 0 &&
    m.produceRate !== undefined
  ) {
    const needed = m.produceRate + totalLag / spec.drainTargetSeconds;
    load = needed / history.capacityPerReplica;
    sizing = 'rate';
    words.push(
      `lag ${fmt(totalLag)} over ${partitions} partitions; produce ${fmtRate(m.produceRate)}/s + drain in ${spec.drainTargetSeconds}s = ${fmtRate(needed)}/s at ${fmtRate(history.capacityPerReplica)}/s per replica`,
    );
  } else {
    load = totalLag / spec.lagPerReplica;
    sizing = 'lag';
    const perReplica = totalLag / Math.max(current, 1);
    const cmp = perReplica > spec.lagPerReplica ? '>' : perReplica < spec.lagPerReplica ? '<' : '=';
    words.push(`lag ${fmt(totalLag)} over ${partitions} partitions, ${fmt(perReplica)}/replica ${cmp} ${fmt(spec.lagPerReplica)}`);
  }

  // 3. Replicas from the load, with the HPA's tolerance around the current count.
  let recommended: number;
  if (sizing === 'inactive') {
    recommended = 0;
  } else if (current > 0 && Math.abs(load / current - 1) <= TOLERANCE + 1e-9) {
    recommended = current;
    words.push(`within ${TOLERANCE * 100} % of ${current} replicas`);
  } else {
    recommended = Math.ceil(load - 1e-9);
    if (active && recommended < 1) recommended = 1;
  }

  // 4. Clamp: never more replicas than can be given a partition, within min/max.
  const max = Math.max(spec.minReplicas, cap > 0 ? Math.min(spec.maxReplicas, cap) : spec.maxReplicas);
  if (recommended > max) {
    const byPartitions = cap > 0 && cap < spec.maxReplicas && max === cap;
    limits.push(byPartitions ? 'CappedByPartitions' : 'TooManyReplicas');
    const capWords =
      membersPerReplica > 1 ? `capped by ${partitions} partitions at ${membersPerReplica} consumers per replica` : `capped by ${partitions} partitions`;
    words.push(byPartitions ? capWords : `capped by maxReplicas ${spec.maxReplicas}`);
    recommended = max;
  }
  if (recommended < spec.minReplicas) {
    limits.push('TooFewReplicas');
    words.push(`raised to minReplicas ${spec.minReplicas}`);
    recommended = spec.minReplicas;
  }

  // 5. Stabilization windows: scale up to the lowest, down to the highest recommendation in the window.
  history.recommendations.push({ at: now, replicas: recommended });
  let up = recommended;
  let down = recommended;
  for (const r of history.recommendations) {
    const age = (now - r.at) / 1000;
    if (age < spec.scaleUp.stabilizationWindowSeconds) up = Math.min(up, r.replicas);
    if (age < spec.scaleDown.stabilizationWindowSeconds) down = Math.max(down, r.replicas);
  }
  let desired = current;
  if (desired < up) desired = up;
  if (desired > down) desired = down;
  if (recommended > current && desired < recommended) {
    limits.push('ScaleUpStabilized');
    words.push(`held at ${desired} by the ${spec.scaleUp.stabilizationWindowSeconds}s scale-up window`);
  }
  if (recommended < current && desired > recommended) {
    limits.push('ScaleDownStabilized');
    words.push(`held at ${desired} by the ${spec.scaleDown.stabilizationWindowSeconds}s scale-down window`);
  }

  // 6. Step limits (HPA behaviour policies), measured from the replicas at the start of each period.
  if (desired > current) {
    const limit = scaleUpLimit(current, history.scaleEvents, spec.scaleUp, now);
    if (desired > limit) {
      limits.push(spec.scaleUp.selectPolicy === 'Disabled' ? 'ScaleUpDisabled' : 'ScaleUpLimit');
      words.push(spec.scaleUp.selectPolicy === 'Disabled' ? 'scale-up disabled' : `step limited to ${limit} by the scale-up policy`);
      desired = Math.max(current, limit);
    }
  } else if (desired < current) {
    const limit = scaleDownLimit(current, history.scaleEvents, spec.scaleDown, now);
    if (desired < limit) {
      limits.push(spec.scaleDown.selectPolicy === 'Disabled' ? 'ScaleDownDisabled' : 'ScaleDownLimit');
      words.push(spec.scaleDown.selectPolicy === 'Disabled' ? 'scale-down disabled' : `step limited to ${limit} by the scale-down policy`);
      desired = Math.min(current, limit);
    }
  }

  if (desired !== current) history.scaleEvents.push({ at: now, change: desired - current });
  const reason = `${words[0]} → ${desired}${words.length > 1 ? `, ${words.slice(1).join(', ')}` : ''}`;
  return { desiredReplicas: desired, recommendedReplicas: recommended, active, activeAbove, limits, sizing, reason, history };
}

/**
 * Copies the history, drops what no window can use any more, and re-stamps entries from the
 * future (the clock went back) to now, so a backwards jump restarts windows rather than ending them.
 */
function normaliseHistory(h: DecisionHistory, now: number, spec: ScalerSpec): DecisionHistory {
  const keepRecs = Math.max(spec.scaleUp.stabilizationWindowSeconds, spec.scaleDown.stabilizationWindowSeconds) * 1000;
  const keepEvents = Math.max(0, ...spec.scaleUp.policies.map((p) => p.periodSeconds), ...spec.scaleDown.policies.map((p) => p.periodSeconds)) * 1000;
  const restamp = <T extends { at: number }>(e: T): T => (e.at > now ? { ...e, at: now } : { ...e });
  return {
    recommendations: h.recommendations.map(restamp).filter((r) => now - r.at < keepRecs),
    scaleEvents: h.scaleEvents.map(restamp).filter((e) => now - e.at < keepEvents),
    ...(h.capacityPerReplica !== undefined ? { capacityPerReplica: h.capacityPerReplica } : {}),
  };
}

function changeInPeriod(events: ScaleEvent[], periodSeconds: number, now: number, sign: 1 | -1): number {
  let sum = 0;
  for (const e of events) if ((now - e.at) / 1000 < periodSeconds && Math.sign(e.change) === sign) sum += Math.abs(e.change);
  return sum;
}

/** Highest count the scale-up policies allow now (HPA: selectPolicy Max takes the most permissive). */
export function scaleUpLimit(current: number, events: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return rules.selectPolicy === 'Disabled' ? current : Number.POSITIVE_INFINITY;
  const candidates = rules.policies.map((p) => {
    const start = current - changeInPeriod(events, p.periodSeconds, now, 1);
    // From zero a percentage of nothing is nothing; let a Percent policy start one replica.
    return p.type === 'Pods' ? start + p.value : Math.ceil(Math.max(start, 1) * (1 + p.value / 100));
  });
  return rules.selectPolicy === 'Max' ? Math.max(...candidates) : Math.min(...candidates);
}

/** Lowest count the scale-down policies allow now (selectPolicy Max takes the biggest step). */
export function scaleDownLimit(current: number, events: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return rules.selectPolicy === 'Disabled' ? current : 0;
  const candidates = rules.policies.map((p) => {
    const start = current + changeInPeriod(events, p.periodSeconds, now, -1);
    return Math.max(0, p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100)));
  });
  return rules.selectPolicy === 'Max' ? Math.min(...candidates) : Math.max(...candidates);
}

export const emptyHistory = (): DecisionHistory => ({ recommendations: [], scaleEvents: [] });

/**
 * History for a controller that has just started (or taken over leadership): the current count as
 * a recommendation made now, so the scale-down window runs in full before replicas go down.
 */
export const historyAfterStart = (currentReplicas: number, now: number): DecisionHistory => ({
  recommendations: [{ at: now, replicas: currentReplicas }],
  scaleEvents: [],
});
