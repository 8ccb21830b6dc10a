/**
 * kubeconform -strict over every chart and profile with no schema missing: the built-in kinds' schemas come from
 * the real kube-apiserver's /openapi/v2 (converted at test time), the custom kinds' from the CRDs. Nothing is
 * downloaded and nothing generated is kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chartDir, renderAll } from '../../src/charts';
import { sharedCrdFiles } from '../../src/crds';
import { schemaLocation, writeBuiltInSchemas, writeCrdSchemas } from '../../src/json-schemas';
import { kubeRequest } from '../../src/kube';
import { kubeWithOperatorCrds } from '../../src/kube-stack';
import { kubeconform } from '../../src/kubeconform';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(180000);

let dir: string;
let builtIns: string[];

beforeAll(async () => {
  const kube = await kubeWithOperatorCrds();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-kubeconform-'));
  builtIns = writeBuiltInSchemas(await kubeRequest(kube, 'GET', '/openapi/v2'), path.join(dir, 'schemas'));
  writeCrdSchemas([...sharedCrdFiles(), path.join(chartDir('floodgate'), 'crds', 'lagscalers.floodgate.dev.yaml')], path.join(dir, 'schemas'));
}, 120000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the server publishes schemas for the built-in kinds the charts use', () => {
  for (const kind of [
    'apps/v1/Deployment',
    'apps/v1/StatefulSet',
    '/v1/Service',
    'networking.k8s.io/v1/NetworkPolicy',
    'policy/v1/PodDisruptionBudget',
    'autoscaling/v2/HorizontalPodAutoscaler',
  ]) {
    expect(builtIns).toContain(kind);
  }
});

test('every object of every chart and profile is valid, strictly, with no schema missing', async () => {
  const files: string[] = [];
  for (const { chart, profile, objects } of await renderAll()) {
    const file = path.join(dir, `${chart}-${profile}.yaml`);
    fs.writeFileSync(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
    files.push(file);
  }
  const results = await kubeconform(files, schemaLocation(path.join(dir, 'schemas')));
  const problems = results.filter((r) => r.status !== 'statusValid').map((r) => `${path.basename(r.filename)} ${r.kind}/${r.name}: ${r.status} ${r.msg}`);
  expect(problems).toEqual([]);
  expect(results.length).toBeGreaterThan(250);
});

test('a built-in object with a misspelled field fails (the check can fail)', async () => {
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        replica: 2,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } },
      },
    }),
  );
  const [result] = await kubeconform([file], schemaLocation(path.join(dir, 'schemas')));
  expect(result!.status).toBe('statusInvalid');
  expect(result!.msg).toMatch(/replica/);
});
