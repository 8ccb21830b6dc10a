import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { parse } from 'yaml';
import { topicNames } from '@floodgate/config';
import { stackEnv, up, writeScrapeTargets } from '@floodgate/devstack';
import { adminKubeConfig, createDeployment, createLagScaler, freshNamespace, installCrd } from '../../../../operator/test/support/kube-fixtures';
import { mintToken } from '../../../../services/api/src/auth/mint-token';
import { renderAll } from '../../../../dashboards/render';
import { instantQuery, metricNames, withGrafanaVariables } from '../support/promql';
import { repo, runMigrations, startService, type ServiceProcess } from '../support/service-process';

/**
 * Metrics that only exist in a cluster, from exporters the local stack does not run. An expression whose
 * inputs are all listed here is reported, not failed; anything else without data fails the test by name.
 * (Replica lag is not one: the rule reads cnpg_pg_replication_lag or the API's floodgate_db_replica_lag_seconds,
 * which the API measures here on the stack's streaming replica.)
 */
const clusterOnly: Record<string, string> = {
  cnpg_pg_replication_lag: "CloudNativePG's instance manager (replica lag); no local exporter",
};

const secret = 'e2e-panels-secret-0123456789abcdef';
const jwt = { JWT_SECRET: secret, JWT_ISSUER: 'floodgate-e2e', JWT_AUDIENCE: 'floodgate-api-e2e' };
const run = `${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
const group = `floodgate-worker-panels-${run}`;
const services: ServiceProcess[] = [];
let webhook: http.Server;
const deliveries: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const token = (subject: string, role: 'admin' | 'gateway') => mintToken({ secret, issuer: jwt.JWT_ISSUER, audience: jwt.JWT_AUDIENCE, subject, role });

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['prometheus', 'kube'] });
  Object.assign(process.env, stackEnv(stack));
  runMigrations();

  // The operator's world: the CRD, a namespace, the worker Deployment (no pods: the local API server has no kubelet) and its LagScaler.
  const kc = adminKubeConfig();
  await installCrd(kc);
  const namespace = await freshNamespace(kc, 'panels');
  await createDeployment(kc, namespace, 'floodgate-worker', 1);
  await createLagScaler(kc, {
    name: 'worker',
    namespace,
    target: 'floodgate-worker',
    topic: topicNames(process.env.KAFKA_TOPIC_PREFIX).events,
    group,
    spec: { pollingIntervalSeconds: 1 },
  });

  // A webhook receiver for the notifier (loopback: allowed explicitly below).
  webhook = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      deliveries.push(String(req.headers['content-type']));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));

  const fast = { ALERT_RULES_REFRESH_MS: '500', ALERT_OUTBOX_INTERVAL_MS: '500' };
  services.push(
    await startService('floodgate-worker', 'services/worker/src/main.ts', {
      args: ['consume'],
      portVariable: 'HTTP_PORT',
      env: { ...fast, WORKER_GROUP_ID: group },
    }),
    await startService('floodgate-notifier', 'services/worker/src/main.ts', {
      args: ['notify'],
      portVariable: 'HTTP_PORT',
      env: {
        NOTIFIER_GROUP_ID: `floodgate-notifier-panels-${run}`,
        NOTIFIER_WEBHOOK_URLS: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
        NOTIFIER_WEBHOOK_SECRET: 'e2e-webhook-secret-0123',
        NOTIFIER_ALLOW_PRIVATE_TARGETS: 'true',
      },
    }),
    await startService('floodgate-api', 'services/api/src/main.ts', { portVariable: 'PORT', env: { ...jwt, HOST: '127.0.0.1' } }),
    await startService('floodgate-operator', 'operator/src/main.ts', {
      portVariable: 'HTTP_PORT',
      readyPath: '/healthz',
      env: {
        WATCH_NAMESPACE: namespace,
        POD_NAMESPACE: namespace,
        POD_NAME: `operator-${run}`,
        LEASE_DURATION_SECONDS: '3',
        LEASE_RENEW_DEADLINE_SECONDS: '2',
        LEASE_RETRY_PERIOD_SECONDS: '0.5',
      },
    }),
  );
  // Prometheus picks these up within a second (file_sd), as it would discover pods through a PodMonitor.
  writeScrapeTargets(
    process.env.FLOODGATE_PROMETHEUS_TARGETS_FILE!,
    services.map((s) => ({ targets: [`127.0.0.1:${s.port}`], labels: { job: s.name, instance: `${s.name}-0` } })),
  );
}, 420000);

afterAll(async () => {
  if (process.env.FLOODGATE_PROMETHEUS_TARGETS_FILE) writeScrapeTargets(process.env.FLOODGATE_PROMETHEUS_TARGETS_FILE, []);
  await Promise.all(services.map((s) => s.stop()));
  webhook?.close();
});

/** A short, realistic load: a gateway reporting a rain storm for a few devices, reads, bad requests, one poison message. */
async function shortLoad(api: string): Promise<void> {
  const admin = await token('sre', 'admin');
  const gateway = await token(`gw-${run}`, 'gateway');
  const headers = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
  const devices = Array.from({ length: 4 }, (_, i) => `panels-${run}-${i}`);
  const rule = await fetch(`${api}/v1/alert-rules/${crypto.randomUUID()}`, {
    method: 'PUT',
    headers: headers(admin),
    body: JSON.stringify({
      name: `e2e storm ${run}`,
      metric: 'e2e_rain_mm_h',
      direction: 'above',
      levels: [
        { severity: 'warning', threshold: 20 },
        { severity: 'critical', threshold: 50 },
      ],
      clearThreshold: 10,
      deviceSelector: `panels-${run}-*`,
    }),
  });
  if (!rule.ok) throw new Error(`PUT /v1/alert-rules: ${rule.status} ${await rule.text()}`);
  await sleep(1500); // the worker refreshes its rules every 500 ms here

  // Rain rises to 60 mm/h and falls back to 2: every device opens, escalates and resolves an alert.
  const storm = [2, 8, 25, 40, 60, 45, 30, 15, 8, 2];
  const start = Date.now() - storm.length * 60000;
  for (let step = 0; step < storm.length; step++) {
    const events = devices.map((deviceId) => ({ deviceId, ts: new Date(start + step * 60000).toISOString(), metrics: { e2e_rain_mm_h: storm[step]! } }));
    const res = await fetch(`${api}/v1/events`, { method: 'POST', headers: headers(gateway), body: JSON.stringify({ events }) });
    if (res.status !== 202) throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
    for (const id of devices) await fetch(`${api}/v1/devices/${id}`, { headers: headers(admin) });
    await fetch(`${api}/v1/events`, { method: 'POST', headers: headers(gateway), body: '{"events": [{"deviceId": 1}]}' }); // a 400
    await sleep(1000);
  }
  // A message no worker can ever decode goes to the dead-letter topic.
  const kafka = new Kafka({ clientId: `panels-${run}`, brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: topicNames(process.env.KAFKA_TOPIC_PREFIX).events, messages: [{ key: devices[0]!, value: 'this is not an event' }] });
  await producer.disconnect();
  // Steady traffic while Prometheus scrapes and evaluates the recording rules (every second locally) a few more times.
  const until = Date.now() + 20000;
  while (Date.now() < until) {
    await fetch(`${api}/v1/events`, {
      method: 'POST',
      headers: headers(gateway),
      body: JSON.stringify({ events: devices.map((deviceId) => ({ deviceId, ts: new Date().toISOString(), metrics: { e2e_rain_mm_h: 1 } })) }),
    });
    await fetch(`${api}/v1/devices/${devices[0]}`, { headers: headers(admin) });
    await sleep(250);
  }
}

interface Check {
  where: string;
  expr: string;
}

function dashboardChecks(): Check[] {
  return Object.entries(renderAll()).flatMap(([file, text]) => {
    const d = JSON.parse(text) as { panels: { title: string; targets?: { expr: string; refId: string }[] }[] };
    return d.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `dashboard ${file} panel "${p.title}" query ${t.refId}`, expr: withGrafanaVariables(t.expr) })),
    );
  });
}

function ruleChecks(): Check[] {
  const file = parse(fs.readFileSync(path.join(repo, 'charts/floodgate/files/prometheus-rules.yaml'), 'utf8')) as {
    groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
  };
  return file.groups.flatMap((g) =>
    g.rules.flatMap((r) =>
      r.record
        ? [
            { where: `recording rule ${r.record} (its expression)`, expr: r.expr },
            { where: `recording rule ${r.record} (the recorded series)`, expr: r.record },
          ]
        : // An alert's expression is empty while all is well; what must exist is every series it reads.
          metricNames(r.expr).map((name) => ({ where: `alert ${r.alert} input ${name}`, expr: name })),
    ),
  );
}

describe('under a short load, every dashboard panel and every rule', () => {
  it('returns data from the services Prometheus scrapes', async () => {
    const api = services.find((s) => s.name === 'floodgate-api')!;
    await shortLoad(api.url);

    // Every service is scraped.
    const scraped = await instantQuery('up');
    expect(Object.fromEntries(scraped.map((s) => [s.metric.job, s.value[1]]))).toMatchObject(Object.fromEntries(services.map((s) => [s.name, '1'])));

    const missing: string[] = [];
    const notLocal: string[] = [];
    for (const check of [...dashboardChecks(), ...ruleChecks()]) {
      const samples = await instantQuery(check.expr);
      const finite = samples.some((s) => Number.isFinite(Number(s.value[1])));
      if (finite) continue;
      const inputs = metricNames(check.expr);
      if (inputs.length > 0 && inputs.every((m) => clusterOnly[m])) notLocal.push(`${check.where}: ${inputs.map((m) => clusterOnly[m]).join('; ')}`);
      else missing.push(`${check.where}: ${samples.length ? 'only NaN' : 'no data'} for ${check.expr}`);
    }
    if (notLocal.length) process.stderr.write(`cluster-only inputs, not checked locally:\n  ${notLocal.join('\n  ')}\n`);
    expect(missing).toEqual([]);
    expect(deliveries.length).toBeGreaterThan(0);
  }, 300000);

  it('shows the read replica lag the API measures on the stack’s streaming replica', async () => {
    const lag = await instantQuery('floodgate_db_replica_lag_seconds{job="floodgate-api"}');
    expect(lag).toHaveLength(1);
    expect(Number(lag[0]!.value[1])).toBeGreaterThanOrEqual(0);
    const recorded = await instantQuery('floodgate:db_replica_lag_seconds:max');
    expect(recorded.map((s) => Number(s.value[1])).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(recorded.length).toBeGreaterThan(0);
  }, 60000);

  it('counts the open device alerts PostgreSQL holds', async () => {
    const api = services.find((s) => s.name === 'floodgate-api')!;
    // One device left in a storm: its critical alert stays open.
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(`gw-${run}`, 'gateway')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: `panels-${run}-open`, ts: new Date().toISOString(), metrics: { e2e_rain_mm_h: 80 } }),
    });
    expect(res.status).toBe(202);
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const stored = async () =>
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE status = 'open' AND metric = 'e2e_rain_mm_h' AND severity = 'critical'`))
          .rows[0]!.n;
      const shown = async () => Number((await instantQuery('sum(floodgate:alerts_open:max{metric="e2e_rain_mm_h", severity="critical"})'))[0]?.value[1] ?? NaN);
      const deadline = Date.now() + 30000;
      let last: [number, number] = [NaN, NaN];
      while (Date.now() < deadline) {
        last = [await stored(), await shown()];
        if (last[0] >= 1 && last[0] === last[1]) break;
        await sleep(500);
      }
      expect({ stored: last[0], shown: last[1] }).toEqual({ stored: last[0], shown: last[0] });
      expect(last[0]).toBeGreaterThanOrEqual(1);
    } finally {
      await db.end();
    }
  }, 60000);
});
