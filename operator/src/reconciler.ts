/**
 * One reconcile of one LagScaler, level-triggered from the current object: measure (lag reader,
 * scale target), decide (the pure function), act (patch the scale subresource, an Event), and
 * report (status, last). Errors become a Ready=False condition with a reason, never a crash.
 */
import type { Logger } from '@floodgate/config';
import { decideReplicas, historyAfterStart, type Decision, type DecisionHistory, type LagMeasurement } from './decide-replicas';
import { KafkaCredentials, SecretError } from './kafka-credentials';
import { KubeApiError } from './kube-client';
import { KafkaLagError, LagReader } from './lag-reader';
import { InvalidSpecError, keyOf, parseSpec, scalerSpec, type Condition, type LagScaler, type LagScalerSpec, type LagScalerStatus } from './lagscaler-spec';
import type { OperatorMetrics } from './operator-metrics';
import { ScaleTargetError, type ScaleTarget } from './scale-target';
import { mergeConditions, type StatusWriter } from './status-writer';

export interface ReconcileResult {
  key: string;
  /** Undefined when the reconcile succeeded. */
  errorReason?: string;
  decision?: Decision;
  scaled?: { from: number; to: number };
  pollingIntervalSeconds: number;
}

interface Deps {
  scaleTarget: ScaleTarget;
  status: StatusWriter;
  credentials: KafkaCredentials;
  metrics: OperatorMetrics;
  log: Logger;
  clock: () => number;
}

/** The reason and message of a failure, for the Ready condition. */
export function describeError(err: unknown): { reason: string; message: string } {
  if (err instanceof InvalidSpecError) return { reason: 'InvalidSpec', message: err.problems.join('; ') };
  if (err instanceof KafkaLagError) return { reason: err.reason, message: err.message };
  if (err instanceof ScaleTargetError) return { reason: err.reason, message: err.message };
  if (err instanceof SecretError) return { reason: err.reason, message: err.message };
  if (err instanceof KubeApiError) return { reason: err.statusCode === 403 ? 'Forbidden' : 'KubernetesApiError', message: err.message };
  return { reason: 'InternalError', message: err instanceof Error ? err.message : String(err) };
}

export class Reconciler {
  private readonly histories = new Map<string, DecisionHistory>();
  private readonly readers = new Map<string, { fingerprint: string; reader: LagReader }>();

  constructor(private readonly deps: Deps) {}

  /** Leadership changed hands: what this instance remembered may be stale. */
  forgetHistory(): void {
    this.histories.clear();
    this.deps.status.forgetAll();
  }

  async forget(ls: { metadata: { namespace?: string; name?: string; uid?: string } }): Promise<void> {
    const key = keyOf(ls);
    this.histories.delete(key);
    this.deps.status.forget(ls);
    this.deps.metrics.forget(ls.metadata.namespace ?? '', ls.metadata.name ?? '');
    const r = this.readers.get(key);
    this.readers.delete(key);
    await r?.reader.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.readers.values()].map((r) => r.reader.close()));
    this.readers.clear();
  }

  private reader(key: string, conn: Parameters<typeof LagReader.fingerprint>[0]): LagReader {
    const fingerprint = LagReader.fingerprint(conn);
    const existing = this.readers.get(key);
    if (existing?.fingerprint === fingerprint) return existing.reader;
    void existing?.reader.close();
    const reader = new LagReader(conn, (reason) => this.deps.metrics.kafkaErrors.inc({ reason }), this.deps.clock);
    this.readers.set(key, { fingerprint, reader });
    return reader;
  }

  async reconcile(ls: LagScaler): Promise<ReconcileResult> {
    const { metrics, log, clock } = this.deps;
    const key = keyOf(ls);
    const ns = ls.metadata.namespace;
    const labels = { namespace: ns, lagscaler: ls.metadata.name };
    const end = metrics.reconcileDuration.startTimer();
    metrics.reconciles.inc();
    const previous = ls.status ?? {};
    let spec: LagScalerSpec | undefined;
    let measurement: LagMeasurement | undefined;
    try {
      spec = parseSpec(ls);
      const conn = await this.deps.credentials.connectionFor(ns, spec.kafka);
      // Both reads in parallel, but the reported failure must not depend on which fails first:
      // Kafka's, then the target's.
      const [lagRead, scaleRead] = await Promise.allSettled([
        this.reader(key, conn).read(spec.kafka.consumerGroup, spec.kafka.topics, spec.kafka.offsetResetPolicy),
        this.deps.scaleTarget.read(ns, spec.scaleTargetRef),
      ]);
      if (lagRead.status === 'rejected') throw lagRead.reason;
      const m = lagRead.value;
      measurement = m;
      if (scaleRead.status === 'rejected') throw scaleRead.reason;
      const scale = scaleRead.value;
      const now = clock();
      const history = this.histories.get(key) ?? historyAfterStart(scale.replicas, now);
      const decision = decideReplicas({ measurement: m, currentReplicas: scale.replicas, spec: scalerSpec(spec), history, now });
      let current = scale.replicas;
      let lastScaleTime = previous.lastScaleTime;
      let scaled: ReconcileResult['scaled'];
      const direction = decision.desiredReplicas > scale.replicas ? 'up' : decision.desiredReplicas < scale.replicas ? 'down' : 'none';
      if (direction !== 'none' && !spec.paused) {
        await this.deps.scaleTarget.patch(ns, spec.scaleTargetRef, decision.desiredReplicas);
        current = decision.desiredReplicas;
        lastScaleTime = new Date(now).toISOString();
        scaled = { from: scale.replicas, to: decision.desiredReplicas };
        log.info({ lagscaler: key, from: scale.replicas, to: decision.desiredReplicas, reason: decision.reason }, 'scaled');
        await this.deps.status
          .event(
            ls,
            'Normal',
            direction === 'up' ? 'ScaledUp' : 'ScaledDown',
            `${scale.replicas} → ${decision.desiredReplicas}: ${decision.reason}`,
            new Date(now),
          )
          .catch((err: unknown) => log.warn({ lagscaler: key, err: (err as Error).message }, 'could not record the scale Event'));
      } else if (direction !== 'none') {
        // Paused: nothing changed, so the step-limit history must not say it did.
        decision.history.scaleEvents = decision.history.scaleEvents.filter((e) => e.at !== now);
      }
      this.histories.set(key, decision.history);
      metrics.decisions.inc({ ...labels, direction, applied: String(direction !== 'none' && !spec.paused) });
      metrics.lag.set(labels, m.totalLag);
      metrics.desired.set(labels, decision.desiredReplicas);
      metrics.current.set(labels, current);
      for (const p of m.partitions) metrics.partitionLag.set({ ...labels, topic: p.topic, partition: String(p.partition) }, p.lag);

      // The last limit applied is the one that settled the count (clamp, then windows, then steps).
      const limited = spec.paused && direction !== 'none' ? 'Paused' : decision.limits[decision.limits.length - 1];
      const conditions: Omit<Condition, 'lastTransitionTime'>[] = [
        {
          type: 'Ready',
          status: 'True',
          reason: spec.paused ? 'Paused' : 'Reconciled',
          message: spec.paused ? 'spec.paused is true: measuring and reporting only' : 'lag measured and the target scaled as decided',
        },
        decision.active
          ? {
              type: 'Active',
              status: 'True',
              reason: 'LagAboveActivation',
              message: `lag ${m.totalLag} > ${activationWords(decision.activeAbove, spec.activationLag)}`,
            }
          : {
              type: 'Active',
              status: 'False',
              reason: 'LagAtOrBelowActivation',
              message: `lag ${m.totalLag} ≤ ${activationWords(decision.activeAbove, spec.activationLag)}`,
            },
        limited
          ? {
              type: 'ScalingLimited',
              status: 'True',
              reason: limited,
              message: limited === 'Paused' ? `paused: would scale ${scale.replicas} → ${decision.desiredReplicas} (${decision.reason})` : decision.reason,
            }
          : { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: decision.reason },
      ];
      const status: LagScalerStatus = {
        observedGeneration: ls.metadata.generation ?? 0,
        totalLag: m.totalLag,
        partitionLag: m.partitions.slice(0, 4096),
        partitions: m.partitions.length,
        ...(m.consumeRate !== undefined ? { consumeRate: round(m.consumeRate) } : {}),
        ...(m.produceRate !== undefined ? { produceRate: round(m.produceRate) } : {}),
        currentReplicas: current,
        desiredReplicas: decision.desiredReplicas,
        ...(lastScaleTime ? { lastScaleTime } : {}),
        lastDecision: decision.reason,
        conditions: withGeneration(mergeConditions(previous.conditions, conditions, new Date(now)), ls.metadata.generation),
      };
      await this.deps.status.write(ls, status);
      return { key, decision, ...(scaled ? { scaled } : {}), pollingIntervalSeconds: spec.pollingIntervalSeconds };
    } catch (err) {
      const { reason, message } = describeError(err);
      metrics.reconcileErrors.inc({ reason });
      log.warn({ lagscaler: key, reason, err: message }, 'reconcile failed');
      const now = new Date(clock());
      const wasFailing = previous.conditions?.find((c) => c.type === 'Ready' && c.status === 'False' && c.reason === reason);
      const conditions: Omit<Condition, 'lastTransitionTime'>[] = [
        { type: 'Ready', status: 'False', reason, message },
        measurement
          ? {
              type: 'Active',
              status: measurement.totalLag > (spec?.activationLag ?? 0) ? 'True' : 'False',
              reason: 'LagMeasured',
              message: `lag ${measurement.totalLag}`,
            }
          : { type: 'Active', status: 'Unknown', reason: 'LagUnknown', message: 'lag could not be measured' },
        { type: 'ScalingLimited', status: 'Unknown', reason, message: 'no decision without a measurement and a target' },
      ];
      const status: LagScalerStatus = {
        ...previous,
        observedGeneration: ls.metadata.generation ?? 0,
        ...(measurement ? { totalLag: measurement.totalLag, partitionLag: measurement.partitions, partitions: measurement.partitions.length } : {}),
        conditions: withGeneration(mergeConditions(previous.conditions, conditions, now), ls.metadata.generation),
      };
      try {
        await this.deps.status.write(ls, status);
        if (!wasFailing) await this.deps.status.event(ls, 'Warning', reason, message, now);
      } catch (writeErr) {
        log.warn({ lagscaler: key, err: (writeErr as Error).message }, 'could not report the failure in status');
      }
      return { key, errorReason: reason, pollingIntervalSeconds: spec?.pollingIntervalSeconds ?? pollingIntervalOf(ls) };
    } finally {
      end();
    }
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

const withGeneration = (conditions: Condition[], generation: number | undefined): Condition[] =>
  conditions.map((c) => ({ ...c, observedGeneration: generation ?? 0 }));

/** The polling interval of an object whose spec could not be parsed: its own field if usable, else 5 s. */
export function pollingIntervalOf(ls: LagScaler): number {
  const v = (ls.spec as { pollingIntervalSeconds?: unknown } | undefined)?.pollingIntervalSeconds;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 3600 ? v : 5;
}

/** "activationLag 50", or "activationLag 50 − 10 % (45)" while running (the decision's hysteresis). */
const activationWords = (activeAbove: number, activationLag: number) =>
  activeAbove === activationLag ? `activationLag ${activationLag}` : `activationLag ${activationLag} − 10 % (${activeAbove})`;
