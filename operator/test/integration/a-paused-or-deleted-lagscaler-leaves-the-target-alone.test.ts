/**
 * `paused: true` stops every change to the target (status still measures and says what it would
 * do), and deleting the LagScaler leaves the Deployment exactly as it was.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { stackEnv, up } from '@floodgate/devstack';
import type { Admin, Kafka } from 'kafkajs';
import type { Operator } from '../../src/operator';
import {
  adminKubeConfig,
  createDeployment,
  createLagScaler,
  deploymentReplicas,
  freshNamespace,
  installCrd,
  patchLagScalerSpec,
  readLagScaler,
} from '../support/kube-fixtures';
import { eventually, kafkaAdmin, produceBacklog, sleep, testOperator, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(90_000);

const POLL_S = 1;
let kc: KubeConfig;
let kafka: Kafka;
let admin: Admin;
let operator: Operator;
let namespace: string;

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  kc = adminKubeConfig();
  await installCrd(kc);
  namespace = await freshNamespace(kc, 'paused');
  ({ kafka, admin } = kafkaAdmin());
  await admin.connect();
  operator = testOperator(kc, { watchNamespace: namespace });
  await operator.start();
  await eventually('the operator leads', async () => (operator.isLeader ? true : undefined), 10_000);
});

afterAll(async () => {
  await operator?.stop();
  await admin?.disconnect();
});

test('a paused LagScaler measures and reports but never changes replicas', async () => {
  const { topic, group } = await topicWithGroup(admin, 'paused', 6);
  await createDeployment(kc, namespace, 'paused-worker', 2);
  await createLagScaler(kc, { name: 'paused', namespace, target: 'paused-worker', topic, group, spec: { pollingIntervalSeconds: POLL_S, paused: true } });
  await produceBacklog(kafka, topic, 6, 1_000);
  const ls = await eventually(
    'status shows the backlog',
    async () => {
      const got = await readLagScaler(kc, namespace, 'paused');
      return got.status?.totalLag === 6_000 ? got : undefined;
    },
    10_000,
  );
  await sleep(2 * POLL_S * 1000);
  expect(await deploymentReplicas(kc, namespace, 'paused-worker')).toBe(2);
  const cond = Object.fromEntries((await readLagScaler(kc, namespace, 'paused')).status!.conditions!.map((c) => [c.type, c]));
  expect(cond.Ready).toMatchObject({ status: 'True', reason: 'Paused' });
  expect(cond.ScalingLimited).toMatchObject({ status: 'True', reason: 'Paused' });
  expect(cond.ScalingLimited!.message).toMatch(/^paused: would scale 2 → 6 /);
  expect(ls.status!.desiredReplicas).toBe(6);

  // Unpausing acts on the next reconcile, which the spec change triggers at once.
  const before = Date.now();
  await patchLagScalerSpec(kc, namespace, 'paused', { paused: false });
  await eventually('6 replicas after unpausing', async () => ((await deploymentReplicas(kc, namespace, 'paused-worker')) === 6 ? true : undefined), 5_000, 50);
  expect(Date.now() - before).toBeLessThan(POLL_S * 1000 + 1000);
});

test('deleting a LagScaler leaves its Deployment alone', async () => {
  const { topic, group } = await topicWithGroup(admin, 'deleted', 4);
  await createDeployment(kc, namespace, 'kept-worker', 1);
  await createLagScaler(kc, {
    name: 'deleted',
    namespace,
    target: 'kept-worker',
    topic,
    group,
    spec: { pollingIntervalSeconds: POLL_S, scaleDown: { stabilizationWindowSeconds: 0 } },
  });
  await produceBacklog(kafka, topic, 4, 1_000);
  await eventually('4 replicas', async () => ((await deploymentReplicas(kc, namespace, 'kept-worker')) === 4 ? true : undefined), 10_000);
  await kc
    .makeApiClient(CustomObjectsApi)
    .deleteNamespacedCustomObject({ group: 'floodgate.dev', version: 'v1alpha1', namespace, plural: 'lagscalers', name: 'deleted' });
  // The backlog goes away; a live LagScaler (window 0) would scale to 1 at its next poll.
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId: group, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
  await sleep(3 * POLL_S * 1000);
  expect(await deploymentReplicas(kc, namespace, 'kept-worker')).toBe(4);
  const deployment = await kc.makeApiClient((await import('@kubernetes/client-node')).AppsV1Api).readNamespacedDeployment({ namespace, name: 'kept-worker' });
  expect(deployment.metadata?.deletionTimestamp).toBeUndefined();
});
