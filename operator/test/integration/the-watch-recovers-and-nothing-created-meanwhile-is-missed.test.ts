/**
 * The informer is dependable: a LagScaler that exists before the operator starts is reconciled,
 * and after the kube-apiserver restarts (every watch connection drops) the operator watches
 * again and reconciles a LagScaler created afterwards.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { restart, stackEnv, up } from '@floodgate/devstack';
import type { Admin } from 'kafkajs';
import type { Operator } from '../../src/operator';
import { adminKubeConfig, createDeployment, createLagScaler, freshNamespace, installCrd, readLagScaler } from '../support/kube-fixtures';
import { eventually, kafkaAdmin, testOperator, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(120_000);

let kc: KubeConfig;
let admin: Admin;
let operator: Operator | undefined;
let namespace: string;

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  kc = adminKubeConfig();
  await installCrd(kc);
  namespace = await freshNamespace(kc, 'watch');
  ({ admin } = kafkaAdmin());
  await admin.connect();
});

afterAll(async () => {
  await operator?.stop();
  await admin?.disconnect();
});

const ready = (name: string, timeoutMs: number) =>
  eventually(
    `${name} is Ready`,
    async () => ((await readLagScaler(kc, namespace, name)).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined),
    timeoutMs,
    200,
  );

test('a LagScaler created before the operator started is reconciled', async () => {
  const { topic, group } = await topicWithGroup(admin, 'watch', 2);
  await createDeployment(kc, namespace, 'worker', 1);
  await createLagScaler(kc, { name: 'before', namespace, target: 'worker', topic, group, spec: { pollingIntervalSeconds: 1 } });
  operator = testOperator(kc, { watchNamespace: namespace });
  await operator.start();
  await ready('before', 10_000);
});

test('after the kube-apiserver restarts, a LagScaler created afterwards is reconciled', async () => {
  const { topic, group } = await topicWithGroup(admin, 'watch-after', 2);
  await restart('kube', { dir: process.env.FLOODGATE_STATE_DIR });
  kc = adminKubeConfig();
  await createLagScaler(kc, { name: 'after', namespace, target: 'worker', topic, group, spec: { pollingIntervalSeconds: 1 } });
  await ready('after', 30_000);
  expect(operator!.isLeader).toBe(true);
});
