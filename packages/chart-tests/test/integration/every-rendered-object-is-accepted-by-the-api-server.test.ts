/**
 * The real kube-apiserver, with the Strimzi, CloudNativePG, Prometheus operator and LagScaler CRDs installed, accepts
 * everything the charts render, under every profile and the notable switches: `helm install --dry-run=server`
 * succeeds, and each object (hooks and the helm test Pod included) passes a create with dryRun=All and
 * fieldValidation=Strict, so an unknown or misplaced field is an error instead of being pruned.
 */
import path from 'node:path';
import { chartDir, profileFiles, profiles, render, type ChartName, type Profile, type RenderOptions } from '../../src/charts';
import { applyCrds, createNamespace, dryRunCreate, type KubeTarget } from '../../src/kube';
import { helmKube, kubeWithOperatorCrds } from '../../src/kube-stack';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(180000);

let kube: KubeTarget;
let namespace: string;

beforeAll(async () => {
  kube = await kubeWithOperatorCrds();
  // `helm install --dry-run` does not install crds/, so the LagScaler CRD goes in first, as after a first install.
  await applyCrds(kube, [path.join(chartDir('floodgate'), 'crds', 'lagscalers.floodgate.dev.yaml')]);
  namespace = await createNamespace(kube, 'charts-dryrun');
}, 120000);

test.each(profiles)('helm install --dry-run=server of the platform with the %s values succeeds', async (profile) => {
  const args = ['install', 'floodgate', chartDir('floodgate-platform'), '--namespace', namespace, '--dry-run=server'];
  for (const f of profileFiles('floodgate-platform', profile)) args.push('-f', f);
  const out = await helmKube(args);
  expect(out).toMatch(/STATUS: pending-install/);
});

const variants: [string, ChartName, Profile, RenderOptions['set']][] = [
  ...profiles.map((p): [string, ChartName, Profile, RenderOptions['set']] => [`platform ${p}`, 'floodgate-platform', p, {}]),
  [
    'app with notifier, ingress, cluster-wide operator, and no SASL',
    'floodgate',
    'default',
    {
      'notifier.enabled': true,
      'notifier.webhookSecret': 'hooks',
      'notifier.webhookUrls[0]': 'https://hooks.example.org/floodgate',
      'api.ingress.enabled': true,
      'operator.watchAllNamespaces': true,
      'kafka.sasl.mechanism': 'none',
      'database.sslMode': 'disable',
      'database.caSecret': '',
    },
  ],
  ['postgres with backups', 'floodgate-postgres', 'prod', {}],
  ['redis with persistence', 'floodgate-redis', 'default', { 'persistence.enabled': true, 'auth.existingSecret': 'redis-auth' }],
];

test.each(variants)('every object of the %s render passes a strict server-side dry-run create', async (_name, chart, profile, set) => {
  const objects = await render(chart, { profile, namespace, set: set ?? {} });
  const rejected: string[] = [];
  for (const o of objects) {
    try {
      const stored = await dryRunCreate(kube, o, namespace);
      expect(stored.metadata.name).toBe(o.metadata.name);
    } catch (err) {
      rejected.push(`${o.kind}/${o.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  expect(rejected).toEqual([]);
  // The hooks (migration Job, helm test Pod) are in the render and were judged too.
  if (chart === 'floodgate-platform')
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Job', 'Pod', 'LagScaler', 'Kafka', 'Cluster', 'PrometheusRule']));
});

test('the server rejects an object with an unknown field (the dry-run check can fail)', async () => {
  const kafka = (await render('floodgate-kafka', { namespace })).find((o) => o.kind === 'Kafka')!;
  const bad = structuredClone(kafka);
  bad.spec.kafka.replicas = 3;
  await expect(dryRunCreate(kube, bad, namespace)).rejects.toThrow(/unknown field "spec.kafka.replicas"/);
  const lag = (await render('floodgate', { namespace })).find((o) => o.kind === 'LagScaler')!;
  const inverted = structuredClone(lag);
  inverted.spec.minReplicas = 20;
  await expect(dryRunCreate(kube, inverted, namespace)).rejects.toThrow(/minReplicas must be less than or equal to maxReplicas/);
});
