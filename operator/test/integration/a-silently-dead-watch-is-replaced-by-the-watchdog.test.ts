/**
 * A watch connection that stays open but carries nothing (kubernetes-client/javascript#596,
 * #958) would hide every new LagScaler; the informer's watchdog replaces it, so a LagScaler
 * created after the freeze is still reconciled.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { stackEnv, up } from '@floodgate/devstack';
import type { Admin } from 'kafkajs';
import type { Operator } from '../../src/operator';
import { FreezingProxy } from '../support/freezing-proxy';
import { adminKubeConfig, createDeployment, createLagScaler, freshNamespace, installCrd, readLagScaler } from '../support/kube-fixtures';
import { eventually, kafkaAdmin, testOperator, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(90_000);

let kc: KubeConfig;
let admin: Admin;
let operator: Operator | undefined;
let proxy: FreezingProxy;
let namespace: string;

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  kc = adminKubeConfig();
  await installCrd(kc);
  namespace = await freshNamespace(kc, 'silent');
  ({ admin } = kafkaAdmin());
  await admin.connect();
  proxy = new FreezingProxy(Number(new URL(kc.getCurrentCluster()!.server).port));
});

afterAll(async () => {
  await operator?.stop();
  await proxy?.close();
  await admin?.disconnect();
});

const ready = (name: string, timeoutMs: number) =>
  eventually(
    `${name} is Ready`,
    async () => ((await readLagScaler(kc, namespace, name)).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined),
    timeoutMs,
    200,
  );

test('after every connection freezes, a LagScaler created later is still reconciled', async () => {
  const { topic, group } = await topicWithGroup(admin, 'silent', 2);
  await createDeployment(kc, namespace, 'worker', 1);
  // The operator reaches the API server only through the proxy.
  const viaProxy = new KubeConfig();
  const cluster = kc.getCurrentCluster()!;
  viaProxy.loadFromClusterAndUser(
    { ...cluster, name: 'proxy', server: `https://127.0.0.1:${await proxy.listen()}`, skipTLSVerify: true },
    kc.getCurrentUser()!,
  );
  // A Lease long enough to outlast requests stuck on frozen keep-alive sockets (10 s timeout).
  operator = testOperator(viaProxy, {
    watchNamespace: namespace,
    watchdogSeconds: 2,
    leaseDurationSeconds: 60,
    renewDeadlineSeconds: 40,
    retryPeriodSeconds: 1,
  });
  await operator.start();
  await eventually('the operator leads', async () => (operator!.isLeader ? true : undefined), 10_000);
  await createLagScaler(kc, { name: 'before-freeze', namespace, target: 'worker', topic, group, spec: { pollingIntervalSeconds: 1 } });
  await ready('before-freeze', 10_000);

  const restartsBefore = (await operator.metrics.informerRestarts.get()).values[0]?.value ?? 0;
  proxy.freeze();
  expect(proxy.frozen).toBeGreaterThan(0);
  await createLagScaler(kc, { name: 'after-freeze', namespace, target: 'worker', topic, group, spec: { pollingIntervalSeconds: 1 } });
  const t0 = Date.now();
  await ready('after-freeze', 40_000);
  console.log(`a LagScaler created behind a frozen watch was reconciled after ${Date.now() - t0} ms (watchdog 2 s, request timeout 10 s)`);
  expect((await operator.metrics.informerRestarts.get()).values[0]!.value).toBeGreaterThan(restartsBefore);
});
