/**
 * Two operator instances share a Lease: only the leader patches the target; when the leader
 * stops gracefully (releasing the Lease), the standby takes over at once. A leader that dies
 * without releasing is covered by the-operator-runs-with-only-its-rbac-and-survives-a-crash.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { stackEnv, up } from '@floodgate/devstack';
import type { Admin, Kafka } from 'kafkajs';
import type { Operator } from '../../src/operator';
import type { ReconcileResult } from '../../src/reconciler';
import { adminKubeConfig, createDeployment, createLagScaler, deploymentReplicas, eventsFor, freshNamespace, installCrd } from '../support/kube-fixtures';
import { eventually, kafkaAdmin, produceBacklog, testOperator, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(90_000);

let kc: KubeConfig;
let kafka: Kafka;
let admin: Admin;
let namespace: string;
const operators: Operator[] = [];

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  kc = adminKubeConfig();
  await installCrd(kc);
  namespace = await freshNamespace(kc, 'leader');
  ({ kafka, admin } = kafkaAdmin());
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop()));
  await admin?.disconnect();
});

test('only the leader patches, and the standby takes over when the leader stops', async () => {
  const { topic, group } = await topicWithGroup(admin, 'leader', 8);
  await createDeployment(kc, namespace, 'worker', 1);
  const [a, b] = [testOperator(kc, { watchNamespace: namespace, identity: 'op-a' }), testOperator(kc, { watchNamespace: namespace, identity: 'op-b' })];
  operators.push(a, b);
  const scaledBy = new Map<string, ReconcileResult[]>([
    ['op-a', []],
    ['op-b', []],
  ]);
  a.onReconcile = (r) => r.scaled && scaledBy.get('op-a')!.push(r);
  b.onReconcile = (r) => r.scaled && scaledBy.get('op-b')!.push(r);
  await a.start();
  await eventually('op-a leads', async () => (a.isLeader ? true : undefined), 10_000);
  await b.start();
  await createLagScaler(kc, {
    name: 'worker',
    namespace,
    target: 'worker',
    topic,
    group,
    spec: { pollingIntervalSeconds: 1, scaleDown: { stabilizationWindowSeconds: 0 } },
  });

  await produceBacklog(kafka, topic, 8, 500);
  await eventually('4 replicas', async () => ((await deploymentReplicas(kc, namespace, 'worker')) === 4 ? true : undefined), 10_000);
  // onReconcile runs when the reconcile is done, after its status write: the scale patch is seen before it.
  await eventually('op-a reports its scale', async () => (scaledBy.get('op-a')!.length > 0 ? true : undefined), 5_000);
  expect(b.isLeader).toBe(false);
  expect(scaledBy.get('op-b')).toHaveLength(0);
  expect((await b.metrics.reconciles.get()).values[0]?.value ?? 0).toBe(0);

  // The leader stops gracefully and releases the Lease; the standby acts on the next change.
  const stoppedAt = Date.now();
  await a.stop();
  await eventually('op-b leads', async () => (b.isLeader ? true : undefined), 10_000);
  console.log(`standby took over ${Date.now() - stoppedAt} ms after the leader released the Lease`);
  await produceBacklog(kafka, topic, 8, 500);
  await eventually('8 replicas', async () => ((await deploymentReplicas(kc, namespace, 'worker')) === 8 ? true : undefined), 10_000);
  await eventually('op-b reports its scale', async () => (scaledBy.get('op-b')!.length > 0 ? true : undefined), 5_000);
  // What users see: every ScaledUp Event names the instance that acted.
  const events = (await eventsFor(kc, namespace, 'worker')).filter((e) => e.reason === 'ScaledUp');
  // Event times have one-second precision: compare with the second before the leader stopped.
  const lastSecondOfA = Math.floor(stoppedAt / 1000) * 1000;
  expect(events.filter((e) => Date.parse(String(e.lastTimestamp)) < lastSecondOfA).every((e) => e.reportingInstance === 'op-a')).toBe(true);
  expect(events.some((e) => e.reportingInstance === 'op-b')).toBe(true);
});
