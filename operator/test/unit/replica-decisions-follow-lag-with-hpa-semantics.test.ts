/**
 * The replica decision: tolerance, stabilization windows, caps, activation and scale to zero,
 * step limits, rate-aware sizing, clock jumps and the dead-zone cases KEDA + HPA get stuck in.
 * Table-driven with a fake clock (plain numbers passed as `now`).
 */
import {
  decideReplicas,
  defaultScaleDown,
  defaultScaleUp,
  emptyHistory,
  historyAfterStart,
  type DecisionHistory,
  type LagMeasurement,
  type ScalerSpec,
} from '../../src/decide-replicas';
import { parseSpec, scalerSpec, type LagScaler } from '../../src/lagscaler-spec';

const T0 = Date.UTC(2026, 0, 1);
const s = (seconds: number) => T0 + seconds * 1000;

function spec(over: Partial<ScalerSpec> = {}): ScalerSpec {
  return { minReplicas: 1, maxReplicas: 100, lagPerReplica: 1000, activationLag: 0, scaleUp: defaultScaleUp, scaleDown: defaultScaleDown, ...over };
}

/** Lag spread evenly over `partitions` partitions of one topic. */
function lag(total: number, partitions = 12, rates: Partial<LagMeasurement> = {}): LagMeasurement {
  const parts = Array.from({ length: partitions }, (_, p) => ({
    topic: 'floodgate.events',
    partition: p,
    lag: Math.floor(total / partitions) + (p < total % partitions ? 1 : 0),
  }));
  return { partitions: parts, totalLag: total, ...rates };
}

const noWindows = { scaleDown: { ...defaultScaleDown, stabilizationWindowSeconds: 0 } };

describe('one decision from the lag', () => {
  test.each([
    // name, total lag, partitions, current, spec overrides, expected
    ['scales up to lag / lagPerReplica', 5_000, 12, 2, {}, 5],
    ['holds within the 10 % tolerance (lag 10 % over)', 4_400, 12, 4, {}, 4],
    ['moves just outside the tolerance', 4_500, 12, 4, {}, 5],
    ['caps at the partition count', 48_200, 12, 6, {}, 12],
    ['caps at maxReplicas below the partitions', 48_200, 12, 4, { maxReplicas: 6 }, 6],
    ['raises to minReplicas when there is no lag', 0, 12, 1, { minReplicas: 3 }, 3],
    ['minReplicas wins over fewer partitions', 10_000, 2, 2, { minReplicas: 4 }, 4],
    ['scales down right away without a window', 1_000, 12, 8, noWindows, 1],
    ['dead zone: 64 partitions, 63 replicas, lag worth 70 replicas reaches 64', 70_000, 64, 63, {}, 64],
    ['dead zone: 64 partitions, 63 replicas, a huge lag reaches 64', 10_000_000, 64, 63, {}, 64],
    ['dead zone: 24 partitions, 22 replicas, lag worth 30 replicas reaches 24', 30_000, 24, 22, {}, 24],
    ['lag just over 63 replicas worth but inside the tolerance stays (tolerance, not a cap)', 63_500, 64, 63, {}, 63],
    ['two consumers per replica: 12 partitions cap at 6 replicas', 48_200, 12, 4, { consumersPerReplica: 2 }, 6],
    ['two consumers per replica: an odd partition count rounds up (13 → 7)', 48_200, 13, 4, { consumersPerReplica: 2 }, 7],
    ['two consumers per replica: below the cap, sized by lag as before', 5_000, 12, 2, { consumersPerReplica: 2 }, 5],
    ['more consumers per replica than partitions: one replica', 48_200, 3, 1, { consumersPerReplica: 4 }, 1],
  ] as const)('%s', (_name, total, partitions, current, over, expected) => {
    const d = decideReplicas({ measurement: lag(total, partitions), currentReplicas: current, spec: spec(over), history: emptyHistory(), now: s(0) });
    expect(d.desiredReplicas).toBe(expected);
  });

  test('the reason says why in words, with the cap', () => {
    const d = decideReplicas({ measurement: lag(48_200), currentReplicas: 12, spec: spec(), history: emptyHistory(), now: s(0) });
    expect(d.reason).toBe('lag 48,200 over 12 partitions, 4,017/replica > 1,000 → 12, capped by 12 partitions');
    expect(d.limits).toEqual(['CappedByPartitions']);
  });

  test('with several consumers per replica the reason names them', () => {
    const d = decideReplicas({ measurement: lag(48_200), currentReplicas: 2, spec: spec({ consumersPerReplica: 2 }), history: emptyHistory(), now: s(0) });
    expect(d.reason).toBe('lag 48,200 over 12 partitions, 24,100/replica > 1,000 → 6, capped by 12 partitions at 2 consumers per replica');
    expect(d.limits).toEqual(['CappedByPartitions']);
  });
});

describe('activation and scale to zero', () => {
  const zero = spec({ minReplicas: 0, activationLag: 50, ...noWindows });
  test.each([
    ['stays at zero while lag ≤ activationLag', 50, 0, 0],
    ['starts one replica once lag exceeds activationLag', 51, 0, 1],
    ['sizes by lag when starting from zero', 3_500, 0, 4],
    ['goes to zero when lag falls 10 % below activationLag', 45, 3, 0],
    ['a running workload stays up while lag is within 10 % below activationLag', 46, 3, 1],
  ] as const)('%s', (_name, total, current, expected) => {
    const d = decideReplicas({ measurement: lag(total), currentReplicas: current, spec: zero, history: emptyHistory(), now: s(0) });
    expect(d.desiredReplicas).toBe(expected);
    expect(d.active).toBe(total > (current > 0 ? 45 : 50));
  });

  test('a lag straddling activationLag with no windows starts a replica once and keeps it (found by the flap property)', () => {
    const sp = spec({ minReplicas: 0, maxReplicas: 1, lagPerReplica: 1, activationLag: 10, ...noWindows });
    let current = 0;
    let h = emptyHistory();
    const replicas: number[] = [];
    for (const [i, total] of [10, 11, 10, 11, 10, 10, 11].entries()) {
      const d = decideReplicas({ measurement: lag(total, 1), currentReplicas: current, spec: sp, history: h, now: s(i * 5) });
      h = d.history;
      current = d.desiredReplicas;
      replicas.push(current);
    }
    expect(replicas).toEqual([0, 1, 1, 1, 1, 1, 1]);
  });

  test('with minReplicas above zero, activationLag never scales to zero', () => {
    const d = decideReplicas({ measurement: lag(0), currentReplicas: 2, spec: spec({ activationLag: 100, ...noWindows }), history: emptyHistory(), now: s(0) });
    expect(d.desiredReplicas).toBe(1);
  });

  test('scaling to zero waits for the scale-down window', () => {
    const sp = spec({ minReplicas: 0, activationLag: 0 });
    let h = historyAfterStart(2, s(0));
    const early = decideReplicas({ measurement: lag(0), currentReplicas: 2, spec: sp, history: h, now: s(60) });
    expect(early.desiredReplicas).toBe(2);
    h = early.history;
    const late = decideReplicas({ measurement: lag(0), currentReplicas: 2, spec: sp, history: h, now: s(301) });
    expect(late.desiredReplicas).toBe(0);
  });
});

describe('stabilization windows', () => {
  test('scale-down uses the highest recommendation in the window', () => {
    const sp = spec();
    let h: DecisionHistory = emptyHistory();
    const steps: [number, number, number][] = [
      // seconds, lag, expected desired (current follows desired)
      [0, 8_000, 8],
      [30, 2_000, 8],
      [200, 2_000, 8],
      [299, 2_000, 8],
      [301, 2_000, 2],
    ];
    let current = 4;
    for (const [at, total, expected] of steps) {
      const d = decideReplicas({ measurement: lag(total), currentReplicas: current, spec: sp, history: h, now: s(at) });
      expect([at, d.desiredReplicas]).toEqual([at, expected]);
      h = d.history;
      current = d.desiredReplicas;
    }
  });

  test('a scale-up window holds until the lowest recommendation in it has risen', () => {
    const sp = spec({ scaleUp: { ...defaultScaleUp, stabilizationWindowSeconds: 60 } });
    let h = emptyHistory();
    let d = decideReplicas({ measurement: lag(2_000), currentReplicas: 2, spec: sp, history: h, now: s(0) });
    h = d.history;
    d = decideReplicas({ measurement: lag(6_000), currentReplicas: 2, spec: sp, history: h, now: s(30) });
    expect(d.desiredReplicas).toBe(2);
    expect(d.limits).toContain('ScaleUpStabilized');
    d = decideReplicas({ measurement: lag(6_000), currentReplicas: 2, spec: sp, history: d.history, now: s(61) });
    expect(d.desiredReplicas).toBe(6);
  });

  test('after a restart or a leader change the scale-down window runs in full', () => {
    const d = decideReplicas({ measurement: lag(0), currentReplicas: 10, spec: spec(), history: historyAfterStart(10, s(0)), now: s(5) });
    expect(d.desiredReplicas).toBe(10);
    expect(d.limits).toContain('ScaleDownStabilized');
  });
});

describe('step limits (HPA policies)', () => {
  test('default scale-up: +100 % or +4 pods per 15 s, whichever is more', () => {
    const d1 = decideReplicas({ measurement: lag(100_000, 64), currentReplicas: 2, spec: spec(), history: emptyHistory(), now: s(0) });
    expect(d1.desiredReplicas).toBe(6); // max(2*2, 2+4)
    expect(d1.limits).toContain('ScaleUpLimit');
    // Within the same 15 s period the start is still 2 replicas: no further step.
    const d2 = decideReplicas({ measurement: lag(100_000, 64), currentReplicas: 6, spec: spec(), history: d1.history, now: s(5) });
    expect(d2.desiredReplicas).toBe(6);
    const d3 = decideReplicas({ measurement: lag(100_000, 64), currentReplicas: 6, spec: spec(), history: d2.history, now: s(16) });
    expect(d3.desiredReplicas).toBe(12);
  });

  test('selectPolicy Min takes the most restrictive policy', () => {
    const sp = spec({ scaleUp: { ...defaultScaleUp, selectPolicy: 'Min' } });
    const d = decideReplicas({ measurement: lag(100_000, 64), currentReplicas: 10, spec: sp, history: emptyHistory(), now: s(0) });
    expect(d.desiredReplicas).toBe(14); // min(20, 14)
  });

  test('scale-down by at most 1 pod per minute', () => {
    const sp = spec({ scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } });
    const d1 = decideReplicas({ measurement: lag(0), currentReplicas: 5, spec: sp, history: emptyHistory(), now: s(0) });
    expect(d1.desiredReplicas).toBe(4);
    const d2 = decideReplicas({ measurement: lag(0), currentReplicas: 4, spec: sp, history: d1.history, now: s(30) });
    expect(d2.desiredReplicas).toBe(4);
    expect(d2.limits).toContain('ScaleDownLimit');
    const d3 = decideReplicas({ measurement: lag(0), currentReplicas: 4, spec: sp, history: d2.history, now: s(61) });
    expect(d3.desiredReplicas).toBe(3);
  });

  test('Disabled never scales in that direction', () => {
    const sp = spec({ scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled', policies: [] } });
    const d = decideReplicas({ measurement: lag(0), currentReplicas: 5, spec: sp, history: emptyHistory(), now: s(0) });
    expect(d.desiredReplicas).toBe(5);
    expect(d.limits).toContain('ScaleDownDisabled');
  });

  test('a Percent-only scale-up policy can still leave zero', () => {
    const sp = spec({
      minReplicas: 0,
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    const d = decideReplicas({ measurement: lag(5_000), currentReplicas: 0, spec: sp, history: emptyHistory(), now: s(0) });
    expect(d.desiredReplicas).toBe(2);
  });
});

describe('rate-aware sizing (drainTargetSeconds)', () => {
  const sp = spec({ drainTargetSeconds: 60, ...noWindows });

  test('sizes so the backlog drains within the target on top of the produce rate', () => {
    // 4 replicas with a backlog consumed 2,000/s → 500/s each. Need 1,000/s produce + 60,000/60 s = 2,000/s → 4 replicas... at 500/s: 4.
    const h1 = decideReplicas({
      measurement: lag(60_000, 12, { consumeRate: 2_000, produceRate: 1_000 }),
      currentReplicas: 4,
      spec: sp,
      history: emptyHistory(),
      now: s(0),
    });
    expect(h1.sizing).toBe('rate');
    expect(h1.history.capacityPerReplica).toBe(500);
    expect(h1.desiredReplicas).toBe(4);
    // The backlog doubles: 1,000 + 120,000/60 = 3,000/s → 6 replicas (lag-only sizing would ask for 12).
    const h2 = decideReplicas({
      measurement: lag(120_000, 12, { consumeRate: 2_000, produceRate: 1_000 }),
      currentReplicas: 4,
      spec: sp,
      history: h1.history,
      now: s(5),
    });
    expect(h2.desiredReplicas).toBe(6);
    expect(h2.reason).toMatch(/produce 1,000\/s \+ drain in 60s = 3,000\/s at 500\/s per replica → 6/);
  });

  test('with two consumers per replica, capacity is per replica over the replicas that can have partitions', () => {
    // 8 replicas of 2 consumers on 12 partitions: only 6 replicas hold partitions, so 3,000/s is 500/s per replica.
    const d = decideReplicas({
      measurement: lag(60_000, 12, { consumeRate: 3_000, produceRate: 1_000 }),
      currentReplicas: 8,
      spec: { ...sp, consumersPerReplica: 2 },
      history: emptyHistory(),
      now: s(0),
    });
    expect(d.history.capacityPerReplica).toBe(500);
    expect(d.desiredReplicas).toBe(4); // 1,000 + 60,000/60 = 2,000/s at 500/s
  });

  test('a caught-up consumer does not lower the capacity estimate', () => {
    const h = { ...emptyHistory(), capacityPerReplica: 500 };
    const d = decideReplicas({ measurement: lag(0, 12, { consumeRate: 400, produceRate: 400 }), currentReplicas: 4, spec: sp, history: h, now: s(0) });
    expect(d.history.capacityPerReplica).toBe(500);
    expect(d.desiredReplicas).toBe(1); // 400/s at 500/s per replica
  });

  test('without a measured capacity it falls back to lag sizing', () => {
    const d = decideReplicas({ measurement: lag(5_000, 12, { produceRate: 100 }), currentReplicas: 0, spec: sp, history: emptyHistory(), now: s(0) });
    expect(d.sizing).toBe('lag');
    expect(d.desiredReplicas).toBe(4); // scale-up limit from zero: max(ceil(1*2), 0+4)
  });
});

describe('clock jumps', () => {
  test('a backwards jump restarts the scale-down window rather than ending it', () => {
    let d = decideReplicas({ measurement: lag(8_000), currentReplicas: 4, spec: spec(), history: emptyHistory(), now: s(1000) });
    expect(d.desiredReplicas).toBe(8);
    d = decideReplicas({ measurement: lag(0), currentReplicas: 8, spec: spec(), history: d.history, now: s(0) }); // clock went back 1,000 s
    expect(d.desiredReplicas).toBe(8);
    d = decideReplicas({ measurement: lag(0), currentReplicas: 8, spec: spec(), history: d.history, now: s(301) });
    expect(d.desiredReplicas).toBe(1);
  });

  test('a forward jump expires old history and keeps it bounded', () => {
    let h = emptyHistory();
    for (let i = 0; i < 1000; i++) h = decideReplicas({ measurement: lag(5_000), currentReplicas: 5, spec: spec(), history: h, now: s(i * 5) }).history;
    expect(h.recommendations.length).toBeLessThanOrEqual(61);
    const d = decideReplicas({ measurement: lag(1_000), currentReplicas: 5, spec: spec(), history: h, now: s(1e6) });
    expect(d.desiredReplicas).toBe(1);
    expect(d.history.recommendations).toHaveLength(1);
  });
});

describe('consumersPerReplica from the LagScaler spec', () => {
  const lagScaler = (extra: Record<string, unknown>): LagScaler => ({
    metadata: { name: 'w', namespace: 'ns' },
    spec: { scaleTargetRef: { name: 'w' }, kafka: { bootstrapServers: ['k:9092'], consumerGroup: 'g', topics: ['t'] }, maxReplicas: 24, ...extra },
  });
  test.each([
    [{}, 1, 12],
    [{ consumersPerReplica: 2 }, 2, 6],
  ] as const)('spec %j reads as %i per replica and caps 12 partitions at %i', (extra, perReplica, cap) => {
    const parsed = scalerSpec(parseSpec(lagScaler(extra)));
    expect(parsed.consumersPerReplica).toBe(perReplica);
    const d = decideReplicas({ measurement: lag(1_000_000), currentReplicas: cap, spec: parsed, history: emptyHistory(), now: s(0) });
    expect(d.desiredReplicas).toBe(cap);
  });
  test('0 consumers per replica is refused with the field named', () => {
    expect(() => parseSpec(lagScaler({ consumersPerReplica: 0 }))).toThrow(/spec\.consumersPerReplica/);
  });
});
