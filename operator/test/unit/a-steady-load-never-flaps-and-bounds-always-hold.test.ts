/** Properties of the decision over random inputs: bounds always hold, and a steady load never flaps. */
import fc from 'fast-check';
import { decideReplicas, defaultScaleDown, defaultScaleUp, emptyHistory, type LagMeasurement, type ScalerSpec } from '../../src/decide-replicas';

const specArb = fc
  .record({
    minReplicas: fc.integer({ min: 0, max: 10 }),
    extra: fc.integer({ min: 0, max: 90 }),
    lagPerReplica: fc.integer({ min: 1, max: 100_000 }),
    activationLag: fc.integer({ min: 0, max: 10_000 }),
    upWindow: fc.integer({ min: 0, max: 120 }),
    downWindow: fc.integer({ min: 0, max: 600 }),
  })
  .map((r): ScalerSpec => ({
    minReplicas: r.minReplicas,
    maxReplicas: Math.max(1, r.minReplicas + r.extra),
    lagPerReplica: r.lagPerReplica,
    activationLag: r.activationLag,
    scaleUp: { ...defaultScaleUp, stabilizationWindowSeconds: r.upWindow },
    scaleDown: { ...defaultScaleDown, stabilizationWindowSeconds: r.downWindow },
  }));

const measurement = (total: number, partitions: number): LagMeasurement => ({
  partitions: Array.from({ length: partitions }, (_, p) => ({ topic: 't', partition: p, lag: p === 0 ? total : 0 })),
  totalLag: total,
});

test('the decision stays within [minReplicas, max(minReplicas, min(maxReplicas, partitions))] or moves toward it from outside', () => {
  fc.assert(
    fc.property(
      specArb,
      fc.integer({ min: 0, max: 10_000_000 }),
      fc.integer({ min: 1, max: 128 }),
      fc.integer({ min: 0, max: 200 }),
      (sp, total, partitions, current) => {
        const d = decideReplicas({ measurement: measurement(total, partitions), currentReplicas: current, spec: sp, history: emptyHistory(), now: 0 });
        const hi = Math.max(sp.minReplicas, Math.min(sp.maxReplicas, partitions));
        const lo = sp.minReplicas;
        expect(d.recommendedReplicas).toBeGreaterThanOrEqual(lo);
        expect(d.recommendedReplicas).toBeLessThanOrEqual(hi);
        if (current >= lo && current <= hi) {
          expect(d.desiredReplicas).toBeGreaterThanOrEqual(lo);
          expect(d.desiredReplicas).toBeLessThanOrEqual(hi);
        } else {
          // Out of range (changed by hand): never further out than it was.
          expect(d.desiredReplicas).toBeGreaterThanOrEqual(Math.min(current, lo));
          expect(d.desiredReplicas).toBeLessThanOrEqual(Math.max(current, hi));
        }
        expect(Number.isInteger(d.desiredReplicas)).toBe(true);
      },
    ),
    { numRuns: 2000 },
  );
});

// Steady means the lag's highest and lowest readings are within the 10 % tolerance of each other: ±4 % (ratio 1.083).
// At ±5 % the ratio is 1.105, which is a change under HPA semantics. With a scale-down window of 0 (allowed: it is
// the user's choice) a load that dips 4.6 % and then rises 4.9 % scales 8 → 7 → 8, as the HPA would; fast-check
// found that case, and the windows are what damp it. Within the band nothing may flap, whatever the windows:
// activation included (a lag at activationLag once started and stopped a replica by turns, see the table test).
test('a steady load (lag jittering ±4 %) changes replicas at most once, then never again', () => {
  fc.assert(
    fc.property(
      specArb,
      fc.integer({ min: 1, max: 2_000_000 }),
      fc.integer({ min: 1, max: 64 }),
      fc.array(fc.double({ min: -0.04, max: 0.04, noNaN: true }), { minLength: 200, maxLength: 200 }),
      (sp, base, partitions, jitter) => {
        let current = Math.max(sp.minReplicas, Math.min(sp.maxReplicas, partitions, Math.max(1, Math.ceil(base / sp.lagPerReplica))));
        let h = emptyHistory();
        let changes = 0;
        // Settle for a few polls (step limits may take several steps to reach the level).
        for (let i = 0; i < 20; i++) {
          const d = decideReplicas({ measurement: measurement(base, partitions), currentReplicas: current, spec: sp, history: h, now: i * 5000 });
          h = d.history;
          current = d.desiredReplicas;
        }
        for (let i = 0; i < jitter.length; i++) {
          const total = Math.round(base * (1 + jitter[i]!));
          const d = decideReplicas({ measurement: measurement(total, partitions), currentReplicas: current, spec: sp, history: h, now: (20 + i) * 5000 });
          if (d.desiredReplicas !== current) changes++;
          h = d.history;
          current = d.desiredReplicas;
        }
        expect(changes).toBeLessThanOrEqual(1);
      },
    ),
    { numRuns: 300 },
  );
});
