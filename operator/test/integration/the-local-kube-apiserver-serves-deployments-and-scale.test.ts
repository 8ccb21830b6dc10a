/**
 * The devstack's `kube` server is a real kube-apiserver (with etcd and RBAC): it stores a
 * Deployment, serves and patches its /scale subresource, and refuses an unauthenticated caller.
 */
import https from 'node:https';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { stackEnv, up } from '@floodgate/devstack';

let kc: KubeConfig;

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kube'] });
  Object.assign(process.env, stackEnv(stack));
  kc = new KubeConfig();
  kc.loadFromFile(process.env.KUBECONFIG!);
});

test('a Deployment is stored and its /scale subresource can be read and patched', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = `kube-real-${Date.now()}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'worker' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'worker' } },
        template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [{ name: 'w', image: 'busybox' }] } },
      },
    },
  });
  const before = await apps.readNamespacedDeploymentScale({ name: 'worker', namespace });
  expect(before.spec?.replicas).toBe(1);
  await apps.patchNamespacedDeploymentScale(
    { name: 'worker', namespace, body: { spec: { replicas: 7 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const after = await apps.readNamespacedDeployment({ name: 'worker', namespace });
  expect(after.spec?.replicas).toBe(7);
});

test('RBAC is on: a request without credentials is refused', async () => {
  const server = kc.getCurrentCluster()!.server;
  const status = await new Promise<number>((resolve, reject) => {
    https
      .get(`${server}/apis/apps/v1/deployments`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
  expect([401, 403]).toContain(status);
});
