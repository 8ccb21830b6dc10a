/**
 * `autoscaling`: the LagScaler controller reacting to a step in produce rate, against the stack's
 * real kube-apiserver and Kafka. The operator (in this process, as operator/src/main.ts wires it)
 * watches a LagScaler whose target is a Deployment; the Deployment has no kubelet behind it, so an
 * emulated worker pool (real kafkajs consumers in the group, each at a fixed rate) follows its
 * spec.replicas, and the lag falls only when replicas really rise. The profile: a steady low rate
 * one replica keeps up with, a step at t0 to a rate it cannot, a hold, and a step back down.
 * Sampled every 0.5 s: produce rate, total lag, the LagScaler's desired replicas (status), the
 * Deployment's spec.replicas and the pool's joined consumers. Anchors stated, not measured: the
 * spec's reaction bound (polling interval + 1 s) and KEDA's default 30 s polling interval.
 */
import { AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { createLogger } from '@floodgate/config';
import { TOLERANCE } from '../../operator/src/decide-replicas';
import { GROUP, PLURAL, VERSION, type LagScaler } from '../../operator/src/lagscaler-spec';
import { Operator } from '../../operator/src/operator';
import { createDeployment, freshNamespace, installCrd } from '../../operator/test/support/kube-fixtures';
import { eventually, topicWithGroup } from '../../operator/test/support/operator-fixtures';
import type { Ratio, ResultRow, Scenario } from '../harness/scenario';
import { EmulatedWorkerPool } from './support/emulated-workers';
import { messagesDue, rateAt, validateProfile, type StepProfile } from './support/rates';
import { SeriesRecorder, ratesFromTotals, stepReaction, type ScaleRequest } from './support/series';

const PARTITIONS = 12;
const POLLING_SECONDS = 5;
const LAG_PER_REPLICA = 1000;
const PER_REPLICA_RATE = 200;
const LOW_RATE = 100;
const HIGH_RATE = 1000;
const SAMPLE_MS = 500;
const KEDA_DEFAULT_POLLING_SECONDS = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Produces the profile's messages, round-robin over the partitions, every 100 ms; returns a stop function and the acknowledged count. */
function runProducer(producer: Producer, topic: string, profile: StepProfile, startedAt: number, onError: (err: Error) => void) {
  let acked = 0;
  let stopped = false;
  let next = 0;
  const value = Buffer.alloc(200, 'x');
  const done = (async () => {
    while (!stopped) {
      const t = (Date.now() - startedAt) / 1000;
      if (t >= profile.endAt) break;
      const due = messagesDue(profile, t) - acked;
      if (due > 0) {
        try {
          await producer.send({ topic, acks: -1, messages: Array.from({ length: due }, () => ({ partition: next++ % PARTITIONS, value })) });
          acked += due;
        } catch (err) {
          onError(err as Error);
        }
      }
      await sleep(100);
    }
  })();
  return {
    acked: () => acked,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const scenario: Scenario = {
  name: 'autoscaling',
  description: `LagScaler reaction to a step in produce rate (${LOW_RATE} → ${fmt(HIGH_RATE)} msg/s and back) against the real kube-apiserver and Kafka; an emulated pool of consumers (${PER_REPLICA_RATE} msg/s each) follows the Deployment's replicas`,
  needs: ['kafka', 'kube'],
  async run(ctx) {
    const profile = validateProfile(
      ctx.quick
        ? { lowRate: LOW_RATE, highRate: HIGH_RATE, stepUpAt: 10, stepDownAt: 40, endAt: 70 }
        : { lowRate: LOW_RATE, highRate: HIGH_RATE, stepUpAt: 20, stepDownAt: 110, endAt: 170 },
    );
    const scaleDownWindow = ctx.quick ? 15 : 30;
    const env = ctx.stack;
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG!);
    const brokers = env.KAFKA_BROKERS!.split(',');
    const kafka = new Kafka({ clientId: 'bench-autoscaling', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const cleanups: Array<() => Promise<unknown>> = [() => admin.disconnect()];
    const errors: string[] = [];
    const noteError = (what: string) => (err: Error) => {
      if (errors.length < 20) errors.push(`${what}: ${err.message}`);
    };
    try {
      await installCrd(kc);
      const namespace = await freshNamespace(kc, 'bench-autoscaling');
      await createDeployment(kc, namespace, 'worker', 1);
      cleanups.push(() => kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ namespace, name: 'worker' }));
      const { topic, group } = await topicWithGroup(admin, 'bench-autoscaling', PARTITIONS);
      cleanups.push(() => admin.deleteTopics({ topics: [topic] }));

      const pool = new EmulatedWorkerPool({ kafka, group, topic, perReplicaRate: PER_REPLICA_RATE, onError: noteError('emulated worker') });
      cleanups.push(() => pool.stop());
      await pool.scaleTo(1);
      await eventually('the first emulated worker joined the group', async () => (pool.joined === 1 ? true : undefined), 60_000, 100);

      const operator = new Operator(
        kc,
        {
          identity: `bench-${process.pid}`,
          leaseNamespace: namespace,
          leaseName: 'floodgate-operator',
          watchNamespace: namespace,
          leaseDurationSeconds: 15,
          renewDeadlineSeconds: 10,
          retryPeriodSeconds: 2,
          watchdogSeconds: 120,
          resyncSeconds: 300,
          kafka: { clientId: 'floodgate-operator', connectionTimeout: 3000, requestTimeout: 10_000 },
          defaultMetrics: false,
        },
        createLogger('bench-operator', 'error'),
      );
      let startedAt = 0;
      const requests: ScaleRequest[] = [];
      operator.onReconcile = (r) => {
        if (r.scaled && startedAt) requests.push({ t: (Date.now() - startedAt) / 1000, ...r.scaled });
        if (r.errorReason) noteError('reconcile')(new Error(r.errorReason));
      };
      await operator.start();
      cleanups.push(() => operator.stop());
      await eventually('the operator leads', async () => (operator.isLeader ? true : undefined), 30_000);
      const custom = kc.makeApiClient(CustomObjectsApi);
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'LagScaler',
          metadata: { name: 'worker' },
          spec: {
            scaleTargetRef: { name: 'worker' },
            kafka: { bootstrapServers: brokers, consumerGroup: group, topics: [topic] },
            minReplicas: 1,
            maxReplicas: PARTITIONS,
            lagPerReplica: LAG_PER_REPLICA,
            pollingIntervalSeconds: POLLING_SECONDS,
            scaleDown: { stabilizationWindowSeconds: scaleDownWindow },
          },
        },
      });
      cleanups.push(() => custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name: 'worker' }));
      const readScaler = async () =>
        (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name: 'worker' })) as LagScaler;
      await eventually(
        'a first reconcile',
        async () => ((await readScaler()).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined),
        30_000,
      );

      const apps = kc.makeApiClient(AppsV1Api);
      const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      cleanups.push(() => producer.disconnect());
      const rec = new SeriesRecorder();
      startedAt = Date.now();
      const load = runProducer(producer, topic, profile, startedAt, noteError('producer'));
      ctx.log(
        `${fmt(profile.lowRate)} msg/s, step to ${fmt(profile.highRate)} msg/s at ${profile.stepUpAt} s, back down at ${profile.stepDownAt} s, end at ${profile.endAt} s`,
      );
      // Sample every 0.5 s; the pool follows the Deployment's spec.replicas as a kubelet would make pods of it.
      const totals: Array<[number, number]> = [];
      let next = startedAt;
      while (Date.now() - startedAt < profile.endAt * 1000) {
        const t = (Date.now() - startedAt) / 1000;
        const [ends, committed, scale, ls] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId: group, topics: [topic] }),
          apps.readNamespacedDeploymentScale({ namespace, name: 'worker' }),
          readScaler(),
        ]);
        const low = new Map(ends.map((e) => [e.partition, Number(e.low)]));
        const offsets = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        const lag = ends.reduce((sum, e) => {
          const c = offsets.get(e.partition) ?? -1;
          return sum + Math.max(0, Number(e.high) - (c >= 0 ? c : low.get(e.partition)!));
        }, 0);
        const replicas = scale.spec?.replicas ?? 0;
        if (replicas !== pool.size) void pool.scaleTo(replicas);
        totals.push([t, load.acked()]);
        rec.add('offered produce rate', 'msg/s', t, rateAt(profile, t));
        rec.add('total lag', 'messages', t, lag);
        rec.add('desired replicas (LagScaler status)', 'replicas', t, ls.status?.desiredReplicas ?? 0);
        rec.add('spec.replicas (Deployment)', 'replicas', t, replicas);
        rec.add('emulated workers in the group', 'replicas', t, pool.joined);
        next += SAMPLE_MS;
        await sleep(Math.max(0, next - Date.now()));
      }
      await load.stop();

      const lag = rec.points('total lag');
      const replicas = rec.points('spec.replicas (Deployment)');
      const reaction = stepReaction({
        stepAt: profile.stepUpAt,
        lag,
        requests,
        // One replica is asked for more once its lag is beyond the tolerance around lagPerReplica.
        scaleUpLag: LAG_PER_REPLICA * (1 + TOLERANCE),
        threshold: LAG_PER_REPLICA,
      });
      const maxReplicas = Math.max(...replicas.map(([, v]) => v));
      const bound = POLLING_SECONDS + 1;
      const fromThreshold = reaction.fromThresholdSeconds;
      const fromStep = reaction.fromStepSeconds;
      ctx.log(
        `step → scale request ${fromStep ?? '—'} s (from the lag crossing ${fromThreshold ?? '—'} s), lag under ${fmt(LAG_PER_REPLICA)} ${reaction.lagUnderAfterStepSeconds ?? '—'} s after the step, max lag ${fmt(reaction.maxLag)}, max replicas ${maxReplicas}`,
      );
      if (fromStep === undefined) throw new Error(`the LagScaler never scaled up after the step (errors: ${errors.join('; ') || 'none'})`);

      // The operator's own figures: reconcile time, and Kubernetes API calls per reconcile (the Lease's renewals
      // and the informer's list/watch are not per reconcile).
      const histogram = (await operator.metrics.reconcileDuration.get()).values;
      const reconciles = histogram.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
      const reconcileSeconds = histogram.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
      const kubeCalls = (await operator.metrics.kubeRequests.get()).values
        .filter((v) => v.labels.resource !== 'leases' && v.labels.verb !== 'list' && v.labels.verb !== 'watch')
        .reduce((sum, v) => sum + v.value, 0);
      const operatorFigures = {
        reconciles,
        'reconcile mean ms': reconciles ? Math.round((reconcileSeconds / reconciles) * 10_000) / 10 : 0,
        'kube API calls / reconcile': reconciles ? Math.round((kubeCalls / reconciles) * 100) / 100 : 0,
      };

      const measured: ResultRow = {
        label: `LagScaler, polling ${POLLING_SECONDS} s (measured)`,
        ceiling: false,
        errors: errors.length,
        extra: {
          'step → scale request s': fromStep,
          'lag over threshold → scale request s': fromThreshold ?? '—',
          'step → lag under threshold s': reaction.lagUnderAfterStepSeconds ?? 'not within the run',
          'max lag': reaction.maxLag,
          'max replicas': maxReplicas,
          'scale-ups': requests.filter((q) => q.to > q.from).length,
          'scale-downs': requests.filter((q) => q.to < q.from).length,
          'replicas at end': replicas.at(-1)?.[1] ?? 0,
          ...operatorFigures,
        },
      };
      const ratios: Ratio[] = [
        {
          name: `lag over threshold → scale request, vs the spec's bound (polling interval + 1 s = ${bound} s)`,
          value: fromThreshold ?? fromStep,
          target: bound,
          comparison: '<=',
          unit: 's',
        },
        {
          name: `step → scale request, as a fraction of KEDA's default ${KEDA_DEFAULT_POLLING_SECONDS} s polling interval (a stated reference, not measured here)`,
          value: Math.round((fromStep / KEDA_DEFAULT_POLLING_SECONDS) * 100) / 100,
          target: 1,
          comparison: '<=',
        },
      ];
      if (reaction.lagUnderAfterStepSeconds !== undefined)
        ratios.push({ name: 'step → lag back under lagPerReplica', value: reaction.lagUnderAfterStepSeconds, unit: 's' });
      return {
        scenario: 'autoscaling',
        description: scenario.description,
        rows: [
          measured,
          { label: `spec bound: polling interval + 1 s (stated)`, ceiling: true, extra: { 'lag over threshold → scale request s': bound } },
          {
            label: `KEDA default: pollingInterval ${KEDA_DEFAULT_POLLING_SECONDS} s (reference, not measured)`,
            ceiling: true,
            extra: { 'lag over threshold → scale request s': `up to ${KEDA_DEFAULT_POLLING_SECONDS}` },
          },
        ],
        ratios,
        series: [...rec.all(), { name: 'acknowledged produce rate', unit: 'msg/s', points: ratesFromTotals(totals) }],
        notes: [
          `Profile: ${profile.lowRate} msg/s for ${profile.stepUpAt} s, ${fmt(profile.highRate)} msg/s until ${profile.stepDownAt} s, ${profile.lowRate} msg/s until ${profile.endAt} s; ${PARTITIONS} partitions, 200-byte messages, acks=all.`,
          `LagScaler: lagPerReplica ${fmt(LAG_PER_REPLICA)}, pollingIntervalSeconds ${POLLING_SECONDS}, min 1, max ${PARTITIONS}, scale-up the HPA default (100 % or 4 pods per 15 s), scale-down window ${scaleDownWindow} s (shortened from the default 300 s so the run shows the way down).`,
          `Workers: no kubelet runs here, so each replica of the Deployment is emulated by a kafkajs consumer in the group (30 s session, 3 s heartbeat, as the worker) consuming ${PER_REPLICA_RATE} msg/s and committing every 0.5 s; a new replica joins within a rebalance, with no pod start-up time.`,
          `Reaction: "scale request" is the operator's first scale-up patch after the step (its reconcile result); the lag crossing is the first 0.5 s lag sample above lagPerReplica × (1 + ${TOLERANCE}) = ${fmt(LAG_PER_REPLICA * (1 + TOLERANCE))}, the level at which one replica is due to scale up, so it is known within 0.5 s.`,
          `KEDA's Kafka scaler polls every ${KEDA_DEFAULT_POLLING_SECONDS} s by default (pollingInterval), so its scale-up can wait up to ${KEDA_DEFAULT_POLLING_SECONDS} s after the lag crosses; this is a stated reference, not a run of KEDA.`,
          ...(errors.length ? [`Errors during the run: ${errors.join('; ')}`] : []),
        ],
      };
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    }
  },
};

export default scenario;
