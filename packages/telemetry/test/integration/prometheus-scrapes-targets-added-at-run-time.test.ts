import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { stackEnv, up, writeScrapeTargets } from '@floodgate/devstack';
import { metricsHandler, registerProcessMetrics } from '../../src/process-metrics';

let server: http.Server;
const registry = new Registry();
const job = `probe-${process.pid}`;

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['prometheus'] });
  Object.assign(process.env, stackEnv(stack));
  registerProcessMetrics(registry);
  new Counter({ name: 'floodgate_probe_total', help: 'set by the test', registers: [registry] }).inc(7);
  const handler = metricsHandler(registry);
  server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
}, 120000);

afterAll(() => {
  writeScrapeTargets(process.env.FLOODGATE_PROMETHEUS_TARGETS_FILE!, []);
  server?.close();
});

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${process.env.FLOODGATE_PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

describe('the local Prometheus', () => {
  it('scrapes a target written to the file_sd file at run time, within seconds, with its job label', async () => {
    const port = (server.address() as AddressInfo).port;
    writeScrapeTargets(process.env.FLOODGATE_PROMETHEUS_TARGETS_FILE!, [{ targets: [`127.0.0.1:${port}`], labels: { job } }]);
    const deadline = Date.now() + 20000;
    let result: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() < deadline && result.length === 0) {
      result = await query(`floodgate_probe_total{job="${job}"}`);
      if (!result.length) await new Promise((r) => setTimeout(r, 500));
    }
    expect(result[0]?.value[1]).toBe('7');
    expect(await query(`process_cpu_user_seconds_total{job="${job}"}`)).toHaveLength(1);
  }, 30000);

  it('has loaded the project rules (recording and alerting)', async () => {
    const res = await fetch(`${process.env.FLOODGATE_PROMETHEUS_URL}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: { name: string; rules: { name: string; type: string }[] }[] } };
    const names = body.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(names).toEqual(expect.arrayContaining(['floodgate:ingest_5xx_ratio:rate5m', 'FloodgateIngestErrorsHigh', 'FloodgateReplicaLagHigh']));
  });
});
