/**
 * The PrometheusRule the chart ships is valid for Prometheus (`promtool check rules`), every alert has a severity
 * and a runbook link into docs/runbooks.md, and the alerts fire on the condition they describe and not before:
 * `promtool test rules` replays series through the rendered rules (the rules are read from the render). The Kafka and
 * PostgreSQL charts' alerts (under-replicated or offline partitions, lagging or missing standbys) are checked too.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { render } from '../../src/charts';
import { promtool } from '../../src/tools';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

const run = promisify(execFile);
let dir: string;
let groups: {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-rules-'));
  const rule = (await render('floodgate', { namespace: 'floodgate' })).find((o) => o.kind === 'PrometheusRule')!;
  // The release-scoped availability groups come from the template, the SLO/lag/DLQ/operator groups from files/prometheus-rules.yaml.
  groups = rule.spec.groups;
  fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const alerts = () => groups.flatMap((g) => g.rules.filter((r) => r.alert));
const alert = (name: string) => alerts().find((a) => a.alert === name)!;

test('promtool accepts the rules', async () => {
  const { stdout } = await run(promtool(), ['check', 'rules', path.join(dir, 'rules.yaml')]);
  expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
});

test('every alert has a severity, a summary, a description and a runbook_url anchored in docs/runbooks.md', () => {
  expect(alerts().length).toBeGreaterThanOrEqual(7);
  for (const a of alerts()) {
    expect({ alert: a.alert, severity: a.labels?.severity }).toEqual({ alert: a.alert, severity: expect.stringMatching(/^(warning|critical)$/) });
    expect(a.annotations?.summary).toBeTruthy();
    expect(a.annotations?.description).toBeTruthy();
    // The section exists: packages/chart-tests/test/unit/every-chart-alert-names-a-runbook-section-that-exists.test.ts.
    expect(a.annotations?.runbook_url).toMatch(/^https:\/\/github\.com\/floodgate\/floodgate\/blob\/main\/docs\/runbooks\.md#floodgate[a-z]+$/);
  }
});

test('the rules cover the metrics the services, the operator and the Kafka Exporter export', () => {
  const exprs = groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n');
  for (const metric of [
    'http_requests_total',
    'floodgate_ingest_events_total',
    'floodgate_worker_events_processed_total',
    'floodgate_dlq_messages_total',
    'floodgate_operator_desired_replicas',
    'kafka_consumergroup_lag',
  ]) {
    expect(exprs).toContain(metric);
  }
});

/** The annotations Prometheus will attach, with `{{ $value }}` filled in the way the alert's template prints it. */
const expectedAnnotations = (name: string, value?: string) =>
  Object.fromEntries(Object.entries(alert(name).annotations!).map(([k, v]) => [k, value === undefined ? v : v.replace(/\{\{ \$value[^}]*\}\}/g, value)]));

test('the alerts fire on their condition, only after their `for` duration, and stay quiet otherwise', async () => {
  const lag = 'kafka_consumergroup_lag{consumergroup="floodgate-worker", topic="floodgate.events", partition="0"}';
  const tests = {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: [
      {
        name: 'lag above the threshold for 15 minutes',
        interval: '1m',
        input_series: [{ series: lag, values: '20000x40' }],
        alert_rule_test: [
          { eval_time: '10m', alertname: 'FloodgateConsumerLagHigh', exp_alerts: [] },
          {
            eval_time: '20m',
            alertname: 'FloodgateConsumerLagHigh',
            exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: expectedAnnotations('FloodgateConsumerLagHigh', '20000') }],
          },
        ],
      },
      {
        name: 'lag below the threshold',
        interval: '1m',
        input_series: [{ series: lag, values: '5000x40' }],
        alert_rule_test: [{ eval_time: '30m', alertname: 'FloodgateConsumerLagHigh', exp_alerts: [] }],
      },
      {
        name: 'no API pod scraped',
        interval: '1m',
        input_series: [{ series: 'up{namespace="floodgate", job="api", pod="a"}', values: '1 1 0x20' }],
        alert_rule_test: [
          { eval_time: '4m', alertname: 'FloodgateApiDown', exp_alerts: [] },
          {
            eval_time: '10m',
            alertname: 'FloodgateApiDown',
            exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: expectedAnnotations('FloodgateApiDown') }],
          },
        ],
      },
      {
        name: 'events accepted, none processed',
        interval: '1m',
        input_series: [
          { series: 'floodgate_ingest_events_total{namespace="floodgate", outcome="accepted", pod="api-1"}', values: '0+100x40' },
          { series: 'floodgate_worker_events_processed_total{namespace="floodgate", pod="worker-1"}', values: '500x40' },
        ],
        alert_rule_test: [
          // The condition holds from the second sample; `for: 10m` delays the alert until then.
          { eval_time: '5m', alertname: 'FloodgateWorkerStalled', exp_alerts: [] },
          {
            eval_time: '15m',
            alertname: 'FloodgateWorkerStalled',
            exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: expectedAnnotations('FloodgateWorkerStalled') }],
          },
        ],
      },
      {
        name: 'one ingest request in ten fails with 503',
        interval: '1m',
        input_series: [
          { series: 'floodgate_ingest_events_total{namespace="floodgate", outcome="accepted", pod="api-1"}', values: '0+90x40' },
          { series: 'floodgate_ingest_events_total{namespace="floodgate", outcome="unavailable", pod="api-1"}', values: '0+10x40' },
          { series: 'floodgate_ingest_events_total{namespace="floodgate", outcome="rejected", pod="api-1"}', values: '0+500x40' },
        ],
        alert_rule_test: [
          { eval_time: '3m', alertname: 'FloodgateIngestFailing', exp_alerts: [] },
          // Rejected (invalid) events are the client's problem and do not dilute the failure ratio.
          {
            eval_time: '10m',
            alertname: 'FloodgateIngestFailing',
            exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: expectedAnnotations('FloodgateIngestFailing', '10%') }],
          },
        ],
      },
      {
        name: 'events accepted and processed',
        interval: '1m',
        input_series: [
          { series: 'floodgate_ingest_events_total{namespace="floodgate", outcome="accepted", pod="api-1"}', values: '0+100x40' },
          { series: 'floodgate_worker_events_processed_total{namespace="floodgate", pod="worker-1"}', values: '0+100x40' },
        ],
        alert_rule_test: [{ eval_time: '30m', alertname: 'FloodgateWorkerStalled', exp_alerts: [] }],
      },
    ],
  };
  fs.writeFileSync(path.join(dir, 'rules.test.yaml'), stringify(tests));
  const result = await run(promtool(), ['test', 'rules', path.join(dir, 'rules.test.yaml')]).catch((err: { stdout: string; stderr: string }) => err);
  expect(`${result.stdout}${result.stderr}`).toMatch(/SUCCESS/);
});

test.each(['floodgate-kafka', 'floodgate-postgres'] as const)('the %s chart ships valid alerts with a severity and a runbook', async (chart) => {
  const rule = (await render(chart, { namespace: 'floodgate' })).find((o) => o.kind === 'PrometheusRule')!;
  const file = path.join(dir, `${chart}.yaml`);
  fs.writeFileSync(file, stringify({ groups: rule.spec.groups }));
  const { stdout } = await run(promtool(), ['check', 'rules', file]);
  expect(stdout).toMatch(/SUCCESS: [1-9]\d* rules found/);
  for (const a of rule.spec.groups.flatMap((g: { rules: { alert: string; labels: { severity: string }; annotations: Record<string, string> }[] }) => g.rules)) {
    expect(a.labels.severity).toMatch(/^(warning|critical)$/);
    expect(a.annotations.runbook_url).toMatch(new RegExp(`docs/runbooks\\.md#${a.alert.toLowerCase()}$`));
  }
});
