/**
 * Every `dashboards/*.json` file in the floodgate chart (copied there from /dashboards by `make dashboards`) becomes
 * one ConfigMap carrying the Grafana sidecar's label and folder annotation, with the JSON unchanged. The chart is
 * copied to a temporary folder with a dashboard added, so the test does not depend on what is in the checkout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chartDir, render } from '../../src/charts';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let copy: string;
const dashboard = {
  title: 'Floodgate ingest (test copy)',
  uid: 'floodgate-ingest-test',
  schemaVersion: 39,
  panels: [{ type: 'timeseries', title: 'Events/s' }],
};

beforeAll(() => {
  copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-chart-')), 'floodgate');
  fs.cpSync(chartDir('floodgate'), copy, { recursive: true });
  for (const f of fs.readdirSync(path.join(copy, 'dashboards'))) if (f.endsWith('.json')) fs.rmSync(path.join(copy, 'dashboards', f));
  fs.writeFileSync(path.join(copy, 'dashboards', 'Ingest_Overview.json'), JSON.stringify(dashboard, null, 2));
});
afterAll(() => fs.rmSync(path.dirname(copy), { recursive: true, force: true }));

test('a dashboard JSON file becomes a labelled ConfigMap holding the same JSON', async () => {
  const maps = (await render('floodgate', { dir: copy })).filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard);
  expect(maps).toHaveLength(1);
  const [map] = maps;
  expect(map!.metadata.name).toBe('floodgate-dashboard-ingest-overview');
  expect(map!.metadata.labels!.grafana_dashboard).toBe('1');
  expect(map!.metadata.annotations!.grafana_folder).toBe('Floodgate');
  expect(JSON.parse(map!.data!['Ingest_Overview.json']!)).toEqual(dashboard);
});

test('the sidecar label, its value and the target namespace are values', async () => {
  const [map] = (
    await render('floodgate', {
      dir: copy,
      set: { 'dashboards.label': 'grafana_dashboard_floodgate', 'dashboards.labelValue': 'yes', 'dashboards.namespace': 'monitoring' },
    })
  ).filter((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('dashboard'));
  expect(map!.metadata.labels!.grafana_dashboard_floodgate).toBe('yes');
  expect(map!.metadata.namespace).toBe('monitoring');
});

test('dashboards.enabled=false ships none', async () => {
  const maps = (await render('floodgate', { dir: copy, set: { 'dashboards.enabled': false } })).filter((o) => o.metadata.name.includes('dashboard'));
  expect(maps).toEqual([]);
});
