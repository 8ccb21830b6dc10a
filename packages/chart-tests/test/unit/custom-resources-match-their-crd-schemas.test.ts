/**
 * Every custom resource the charts render (Strimzi, CloudNativePG, Prometheus operator, our LagScaler) is valid
 * against its CRD's schema, strictly (no unknown field), under every profile. kubeconform runs offline with
 * schemas converted from /work/shared/crds and charts/floodgate/crds at test time. Built-in kinds are checked
 * against the real kube-apiserver's OpenAPI in the integration tier.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chartDir, renderAll, type K8sObject } from '../../src/charts';
import { schemaLocation, writeCrdSchemas } from '../../src/json-schemas';
import { kubeconform } from '../../src/kubeconform';
import { sharedCrdFiles } from '../../src/crds';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let dir: string;
let rendered: Awaited<ReturnType<typeof renderAll>>;
let customKinds: string[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-crd-schemas-'));
  customKinds = writeCrdSchemas([...sharedCrdFiles(), path.join(chartDir('floodgate'), 'crds', 'lagscalers.floodgate.dev.yaml')], path.join(dir, 'schemas'));
  rendered = await renderAll();
}, 60000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const isCustom = (o: K8sObject) =>
  !/^(v1|apps\/v1|batch\/v1|policy\/v1|autoscaling\/v2|networking\.k8s\.io\/v1|rbac\.authorization\.k8s\.io\/v1)$/.test(o.apiVersion);

test('the converted schemas cover every custom kind the charts use', () => {
  const used = new Set(rendered.flatMap((r) => r.objects.filter(isCustom).map((o) => `${o.apiVersion}/${o.kind}`)));
  expect([...used].sort()).toEqual(
    expect.arrayContaining([
      'floodgate.dev/v1alpha1/LagScaler',
      'kafka.strimzi.io/v1/Kafka',
      'kafka.strimzi.io/v1/KafkaNodePool',
      'postgresql.cnpg.io/v1/Cluster',
    ]),
  );
  for (const kind of used) expect(customKinds).toContain(kind);
});

test('every custom resource of every chart and profile passes kubeconform -strict', async () => {
  const files: string[] = [];
  for (const { chart, profile, objects } of rendered) {
    const file = path.join(dir, `${chart}-${profile}.yaml`);
    fs.writeFileSync(
      file,
      objects
        .filter(isCustom)
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
    files.push(file);
  }
  const results = await kubeconform(files, schemaLocation(path.join(dir, 'schemas')));
  const problems = results.filter((r) => r.status !== 'statusValid').map((r) => `${path.basename(r.filename)} ${r.kind}/${r.name}: ${r.status} ${r.msg}`);
  expect(problems).toEqual([]);
  expect(results.length).toBeGreaterThan(30);
});

test('a custom resource with an unknown field is rejected (the check can fail)', async () => {
  const kafka = rendered.find((r) => r.chart === 'floodgate-kafka')!.objects.find((o) => o.kind === 'Kafka')!;
  const bad = structuredClone(kafka);
  bad.spec.kafka.replicas = 3; // Strimzi v1 moved replicas to KafkaNodePools
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, JSON.stringify(bad));
  const [result] = await kubeconform([file], schemaLocation(path.join(dir, 'schemas')));
  expect(result!.status).toBe('statusInvalid');
  expect(result!.msg).toMatch(/replicas/);
});
