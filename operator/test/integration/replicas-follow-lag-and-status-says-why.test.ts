/**
 * Against the real kube-apiserver and Kafka: a backlog on a 12-partition topic scales the
 * Deployment within one polling interval plus a second, capped by the partitions; status,
 * conditions and an Event say why; once the backlog is consumed replicas come down only after
 * the scale-down window.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { stackEnv, up } from '@floodgate/devstack';
import type { Kafka, Admin } from 'kafkajs';
import type { Operator } from '../../src/operator';
import {
  adminKubeConfig,
  createDeployment,
  createLagScaler,
  deploymentReplicas,
  eventsFor,
  freshNamespace,
  installCrd,
  readLagScaler,
} from '../support/kube-fixtures';
import { consumeAll, eventually, kafkaAdmin, testOperator, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(90_000);

const POLL_S = 2;
const DOWN_WINDOW_S = 6;
let kc: KubeConfig;
let kafka: Kafka;
let admin: Admin;
let operator: Operator;
let namespace: string;
let topic: string;
let group: string;

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  kc = adminKubeConfig();
  await installCrd(kc);
  namespace = await freshNamespace(kc, 'scale');
  await createDeployment(kc, namespace, 'worker', 1);
  ({ kafka, admin } = kafkaAdmin());
  await admin.connect();
  ({ topic, group } = await topicWithGroup(admin, 'scale'));
  operator = testOperator(kc, { watchNamespace: namespace });
  await operator.start();
  await eventually('the operator leads', async () => (operator.isLeader ? true : undefined), 10_000);
});

afterAll(async () => {
  await operator?.stop();
  await admin?.disconnect();
});

test('a backlog scales up within one polling interval + 1 s, capped by partitions, and comes down only after the window', async () => {
  await createLagScaler(kc, {
    name: 'worker',
    namespace,
    target: 'worker',
    topic,
    group,
    spec: {
      pollingIntervalSeconds: POLL_S,
      lagPerReplica: 1000,
      minReplicas: 1,
      scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: DOWN_WINDOW_S },
    },
  });
  const idle = await eventually(
    'a first reconcile with no lag',
    async () => {
      const ls = await readLagScaler(kc, namespace, 'worker');
      return ls.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? ls : undefined;
    },
    10_000,
  );
  expect(idle.status).toMatchObject({ totalLag: 0, partitions: 12, currentReplicas: 1, desiredReplicas: 1 });

  // 30,000 messages in one produce request: the lag crosses the threshold at one moment.
  const producer = kafka.producer();
  await producer.connect();
  await producer.sendBatch({
    acks: 1,
    topicMessages: [{ topic, messages: Array.from({ length: 30_000 }, (_, i) => ({ partition: i % 12, value: `m${i}` })) }],
  });
  const crossedAt = Date.now();
  await producer.disconnect();

  await eventually('12 replicas', async () => ((await deploymentReplicas(kc, namespace, 'worker')) === 12 ? true : undefined), (POLL_S + 1) * 1000, 50);
  const seenAt = Date.now();
  // Status is written after the patch and the Event.
  const ls = await eventually(
    'status at 12',
    async () => {
      const got = await readLagScaler(kc, namespace, 'worker');
      return got.status?.currentReplicas === 12 ? got : undefined;
    },
    5_000,
    50,
  );
  const patchedAt = Date.parse(ls.status!.lastScaleTime!);
  console.log(`reaction: lag crossed → scale patch ${patchedAt - crossedAt} ms, → replicas seen ${seenAt - crossedAt} ms (polling ${POLL_S} s)`);
  expect(patchedAt - crossedAt).toBeLessThanOrEqual((POLL_S + 1) * 1000);

  expect(ls.status).toMatchObject({ observedGeneration: ls.metadata.generation, totalLag: 30_000, partitions: 12, currentReplicas: 12, desiredReplicas: 12 });
  expect(ls.status!.partitionLag).toHaveLength(12);
  expect(ls.status!.partitionLag!.every((p) => p.lag === 2_500 && p.committed)).toBe(true);
  expect(ls.status!.lastDecision).toBe('lag 30,000 over 12 partitions, 30,000/replica > 1,000 → 12, capped by 12 partitions');
  const cond = Object.fromEntries(ls.status!.conditions!.map((c) => [c.type, c]));
  expect(cond.Ready).toMatchObject({ status: 'True', reason: 'Reconciled' });
  expect(cond.Active).toMatchObject({ status: 'True', reason: 'LagAboveActivation' });
  expect(cond.ScalingLimited).toMatchObject({ status: 'True', reason: 'CappedByPartitions' });
  const up = (await eventsFor(kc, namespace, 'worker')).find((e) => e.reason === 'ScaledUp');
  expect(up?.type).toBe('Normal');
  expect(up?.message).toBe('1 → 12: lag 30,000 over 12 partitions, 30,000/replica > 1,000 → 12, capped by 12 partitions');

  // The group catches up: replicas stay for the scale-down window, then drop to minReplicas.
  // kafkajs commits through a short-lived consumer (seconds), so time the window from the first
  // status that shows the lag gone, not from the call.
  const committing = consumeAll(admin, topic, group);
  const zeroSeenAt = await eventually(
    'status shows the lag gone',
    async () => ((await readLagScaler(kc, namespace, 'worker')).status?.totalLag === 0 ? Date.now() : undefined),
    20_000,
    100,
  );
  await committing;
  const held = await readLagScaler(kc, namespace, 'worker');
  expect(held.status?.currentReplicas).toBe(12);
  expect(held.status?.conditions?.find((c) => c.type === 'ScalingLimited')?.reason).toBe('ScaleDownStabilized');
  await eventually(
    'back to 1 replica',
    async () => ((await deploymentReplicas(kc, namespace, 'worker')) === 1 ? true : undefined),
    (DOWN_WINDOW_S + POLL_S + 1) * 1000,
    100,
  );
  const downStatus = await eventually(
    'status at 1',
    async () => {
      const got = await readLagScaler(kc, namespace, 'worker');
      return got.status?.currentReplicas === 1 ? got.status : undefined;
    },
    5_000,
    50,
  );
  const downPatchedAt = Date.parse(downStatus.lastScaleTime!);
  console.log(`scale-down patched ${downPatchedAt - zeroSeenAt} ms after the status first showed no lag (window ${DOWN_WINDOW_S} s, polling ${POLL_S} s)`);
  expect(downPatchedAt - zeroSeenAt).toBeGreaterThanOrEqual((DOWN_WINDOW_S - POLL_S) * 1000 - 200);
  const down = (await eventsFor(kc, namespace, 'worker')).find((e) => e.reason === 'ScaledDown');
  expect(down?.message).toMatch(/^12 → 1: lag 0 over 12 partitions/);

  // Kubernetes API calls per reconcile (leases and the informer's list/watch are not part of a reconcile).
  const metric = await operator.metrics.kubeRequests.get();
  const perReconcile = metric.values.filter((v) => !['leases', 'lagscalers'].includes(String(v.labels.resource))).reduce((s, v) => s + v.value, 0);
  const reconciles = (await operator.metrics.reconciles.get()).values[0]!.value;
  console.log(
    `kube API calls: ${perReconcile} over ${reconciles} reconciles = ${(perReconcile / reconciles).toFixed(2)}/reconcile; by resource: ${JSON.stringify(metric.values.map((v) => [v.labels.verb, v.labels.resource, v.labels.code, v.value]))}`,
  );
});
