/**
 * `helm install floodgate charts/floodgate-platform` against a real kube-apiserver that serves the Strimzi,
 * CloudNativePG and Prometheus operator CRDs: the release installs (creating the LagScaler CRD from the chart's
 * crds/), every object lands on the server, `helm upgrade` with changed values changes them and keeps generated
 * passwords, and `helm uninstall` removes everything but the Secrets marked to keep, which a reinstall reuses.
 * There are no controllers or nodes: objects are created, pods never start, so helm runs without --wait and
 * without hooks (the migration Job and the test Pod are checked by the server in the dry-run test next door).
 */
import { parseManifests, type K8sObject } from '../../src/charts';
import { chartDir } from '../../src/charts';
import { createNamespace, getObject, kubeRequest, KubeRequestError, type KubeTarget } from '../../src/kube';
import { helmKube, kubeWithOperatorCrds } from '../../src/kube-stack';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(180000);

let kube: KubeTarget;
let namespace: string;
const release = 'floodgate';
const timings: Record<string, number> = {};

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[what] = Math.round(performance.now() - t0);
  }
}

beforeAll(async () => {
  kube = await kubeWithOperatorCrds();
  // Start from a server without the LagScaler CRD, to see the chart install it.
  await kubeRequest(kube, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/lagscalers.floodgate.dev').catch((err) => {
    if (!(err instanceof KubeRequestError && err.status === 404)) throw err;
  });
  for (
    let i = 0;
    i < 100 && (await getObject(kube, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, '', 'lagscalers.floodgate.dev'));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  namespace = await createNamespace(kube, 'charts-platform');
}, 120000);

afterAll(() => {
  process.stdout.write(`helm against the real API server (ms): ${JSON.stringify(timings)}\n`);
});

const secretValue = async (name: string, key: string) => {
  const s = await getObject(kube, { apiVersion: 'v1', kind: 'Secret' }, namespace, name);
  return s?.data?.[key];
};

test('helm install creates the LagScaler CRD and every object of the release on the server', async () => {
  await timed('install', () => helmKube(['install', release, chartDir('floodgate-platform'), '--namespace', namespace, '--no-hooks']));
  const crd = await getObject(kube, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, '', 'lagscalers.floodgate.dev');
  expect(crd?.spec.group).toBe('floodgate.dev');

  const manifest = parseManifests(await helmKube(['get', 'manifest', release, '--namespace', namespace]));
  expect(manifest.length).toBeGreaterThan(40);
  const missing: string[] = [];
  for (const o of manifest) if (!(await getObject(kube, o, o.metadata.namespace ?? namespace, o.metadata.name))) missing.push(`${o.kind}/${o.metadata.name}`);
  expect(missing).toEqual([]);
  // The custom resources are stored as rendered (the schemas pruned nothing).
  const kafka = await getObject(kube, { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka' }, namespace, 'floodgate-kafka');
  expect(kafka?.spec.kafka.config['min.insync.replicas']).toBe(2);
  const scaler = await getObject(kube, { apiVersion: 'floodgate.dev/v1alpha1', kind: 'LagScaler' }, namespace, 'floodgate-worker');
  expect(scaler?.spec.kafka.sasl.secretRef.name).toBe('floodgate-kafka-operator-credentials');
  const status = JSON.parse(await helmKube(['status', release, '--namespace', namespace, '-o', 'json']));
  expect(status.info.status).toBe('deployed');
});

test('helm upgrade with changed values changes the objects on the server and keeps the generated passwords', async () => {
  const before = { redis: await secretValue('floodgate-redis', 'password'), jwt: await secretValue('floodgate-jwt', 'jwt-secret') };
  expect(before.redis).toBeTruthy();
  await timed('upgrade', () =>
    helmKube([
      'upgrade',
      release,
      chartDir('floodgate-platform'),
      '--namespace',
      namespace,
      '--no-hooks',
      '--set',
      'floodgate.api.autoscaling.maxReplicas=5',
      '--set',
      'floodgate.worker.lagScaler.lagPerReplica=2500',
      '--set',
      'floodgate-kafka.topics.events.retentionMs=3600000',
      '--set',
      'floodgate-postgres.cluster.storage.size=40Gi',
    ]),
  );
  const hpa = await getObject(kube, { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' }, namespace, 'floodgate-api');
  expect(hpa?.spec.maxReplicas).toBe(5);
  const scaler = await getObject(kube, { apiVersion: 'floodgate.dev/v1alpha1', kind: 'LagScaler' }, namespace, 'floodgate-worker');
  expect(scaler?.spec.lagPerReplica).toBe(2500);
  const topic = await getObject(kube, { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic' }, namespace, 'floodgate-kafka-events');
  expect(topic?.spec.config['retention.ms']).toBe(3600000);
  const cluster = await getObject(kube, { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' }, namespace, 'floodgate-postgres');
  expect(cluster?.spec.storage.size).toBe('40Gi');
  // `lookup` found the Secrets on the server, so clients keep working across the upgrade.
  expect({ redis: await secretValue('floodgate-redis', 'password'), jwt: await secretValue('floodgate-jwt', 'jwt-secret') }).toEqual(before);
  const history = JSON.parse(await helmKube(['history', release, '--namespace', namespace, '-o', 'json'])) as { revision: number; status: string }[];
  expect(history.map((h) => [h.revision, h.status])).toEqual([
    [1, 'superseded'],
    [2, 'deployed'],
  ]);
});

test('helm uninstall removes the release objects but keeps the generated Secrets, and a reinstall reuses them', async () => {
  const manifest: K8sObject[] = parseManifests(await helmKube(['get', 'manifest', release, '--namespace', namespace]));
  const kept = { redis: await secretValue('floodgate-redis', 'password'), operator: await secretValue('floodgate-kafka-operator-credentials', 'password') };
  await timed('uninstall', () => helmKube(['uninstall', release, '--namespace', namespace, '--no-hooks']));
  const left: string[] = [];
  for (const o of manifest) if (await getObject(kube, o, namespace, o.metadata.name)) left.push(`${o.kind}/${o.metadata.name}`);
  expect(left.sort()).toEqual(['Secret/floodgate-jwt', 'Secret/floodgate-kafka-operator-credentials', 'Secret/floodgate-redis']);
  // The CRD stays (Helm never deletes crds/): LagScalers of other releases survive an uninstall.
  expect(await getObject(kube, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, '', 'lagscalers.floodgate.dev')).toBeDefined();

  await timed('reinstall', () => helmKube(['install', release, chartDir('floodgate-platform'), '--namespace', namespace, '--no-hooks']));
  expect({ redis: await secretValue('floodgate-redis', 'password'), operator: await secretValue('floodgate-kafka-operator-credentials', 'password') }).toEqual(
    kept,
  );
  await helmKube(['uninstall', release, '--namespace', namespace, '--no-hooks']);
});
