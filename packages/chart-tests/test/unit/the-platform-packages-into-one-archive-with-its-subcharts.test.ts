/**
 * `helm package charts/floodgate-platform` makes one archive that carries the four subcharts (charts/ holds links
 * to them), and that archive renders the same objects as the chart folder: the platform can be published and
 * installed from a repository, not only from a checkout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chartDir, helm, parseManifests, render, templateArgs, idOf } from '../../src/charts';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-package-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the packaged platform holds its subcharts and renders like the folder', async () => {
  const out = await helm(['package', chartDir('floodgate-platform'), '--destination', dir]);
  const archive = out.match(/saved it to: (.+\.tgz)/)![1]!;
  expect(path.basename(archive)).toBe('floodgate-platform-0.1.0.tgz');
  const fromArchive = parseManifests(await helm(templateArgs('floodgate-platform', { dir: archive })));
  const fromFolder = await render('floodgate-platform');
  expect(fromArchive.map(idOf).sort()).toEqual(fromFolder.map(idOf).sort());
  expect(new Set(fromArchive.map((o) => o.metadata.labels?.['helm.sh/chart']))).toEqual(
    new Set(['floodgate-0.1.0', 'floodgate-kafka-0.1.0', 'floodgate-postgres-0.1.0', 'floodgate-redis-0.1.0']),
  );
});
