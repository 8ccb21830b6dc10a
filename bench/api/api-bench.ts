/**
 * `make bench` (API part): ingest and read throughput of one API process on loopback, with the
 * ceilings measured in the same run — a bare Express 5 handler (framework ceiling) and Kafka's
 * own ProducerPerformance with the same record size and acks (broker ceiling). Writes
 * bench/results/api-<timestamp>.json and prints a table. Needs the local stack (it starts one
 * in FLOODGATE_STATE_DIR if none runs, and stops it again). BENCH_SECONDS sets each scenario's length (default 10).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { DeviceCache } from '@floodgate/cache';
import { migrate } from '@floodgate/db';
import { down, freePort, readStack, repoRoot, stackEnv, up } from '@floodgate/devstack';
import { encodeEventMessage } from '@floodgate/events';
import { mintToken } from '../../services/api/src/auth/mint-token';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const secret = 'bench-secret-bench-secret-bench-secret-0123';
const root = repoRoot();
const tsxLoader = ['--import', 'tsx'];

interface Scenario {
  name: string;
  connections: number;
  eventsPerRequest: number;
  reqPerSec: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

function startChild(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { execArgv: tsxLoader, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function waitForHttp(url: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

async function load(
  name: string,
  opts: { url: string; method: 'GET' | 'POST'; connections: number; headers?: Record<string, string>; bodies?: string[]; eventsPerRequest: number },
): Promise<Scenario> {
  let i = 0;
  const bodies = opts.bodies;
  const result = await autocannon({
    url: opts.url,
    method: opts.method,
    connections: opts.connections,
    duration: seconds,
    headers: opts.headers ?? {},
    requests: bodies ? [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }] : undefined,
  });
  const ok = result.requests.average * (result['2xx'] / Math.max(1, result['2xx'] + result.non2xx));
  const scenario: Scenario = {
    name,
    connections: opts.connections,
    eventsPerRequest: opts.eventsPerRequest,
    reqPerSec: Math.round(ok),
    eventsPerSec: Math.round(ok * opts.eventsPerRequest),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  process.stderr.write(
    `  ${name.padEnd(28)} ${String(scenario.reqPerSec).padStart(7)} req/s ${String(scenario.eventsPerSec).padStart(8)} ev/s  p50 ${scenario.p50Ms} ms  p99 ${scenario.p99Ms} ms  non2xx ${scenario.non2xx}\n`,
  );
  return scenario;
}

async function producerPerformance(
  env: Record<string, string>,
  recordSize: number,
  records: number,
): Promise<{ recordsPerSec: number; avgLatencyMs: number; p99Ms: number; line: string }> {
  const topic = 'floodgate.bench-ceiling';
  const kafka = new Kafka({ clientId: 'bench', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 12, replicationFactor: -1 }] }).catch(() => undefined);
  try {
    const { stdout } = await promisify(execFile)(
      'java',
      [
        '-Xmx512m',
        '-cp',
        `${env.FLOODGATE_KAFKA_LIBS}/*`,
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        String(recordSize),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${env.KAFKA_BROKERS}`,
        'acks=all',
        'enable.idempotence=true',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const line = stdout.trim().split('\n').at(-1)!;
    const m = /([\d.]+) records\/sec.*?([\d.]+) ms avg latency.*?(\d+) ms 99th/.exec(line);
    if (!m) throw new Error(`unexpected ProducerPerformance output: ${line}`);
    return { recordsPerSec: Math.round(Number(m[1])), avgLatencyMs: Number(m[2]), p99Ms: Number(m[3]), line };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const dir = process.env.FLOODGATE_STATE_DIR ?? path.join(root, '.floodgate', 'bench-stack');
  const owned = !readStack(dir);
  // Other work on the machine skews every number: record the load around the run.
  const loadBefore = os.loadavg();
  const stack = await up({ dir, log: (l) => process.stderr.write(`[stack] ${l}\n`) });
  const env = stackEnv(stack);
  const children: ChildProcess[] = [];
  try {
    await migrate({ databaseUrl: env.DATABASE_URL! });
    const apiPort = await freePort();
    const apiEnv = { ...env, PORT: String(apiPort), HOST: '127.0.0.1', JWT_SECRET: secret, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000000' };
    const api = fork(path.join(root, 'services/api/src/main.ts'), [], {
      execArgv: tsxLoader,
      env: { ...process.env, ...apiEnv },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForHttp(`${apiUrl}/healthz`);
    const bare = await startChild(path.join(root, 'bench/api/bare-express.ts'), { PORT: '0' });
    children.push(bare.child);
    const bareUrl = `http://127.0.0.1:${bare.port}`;

    const token = await mintToken({ secret, issuer: 'floodgate', audience: 'floodgate-api', subject: 'bench-gateway', role: 'gateway', ttlSeconds: 3600 });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const event = (i: number) => ({
      deviceId: `bench-${i % 500}`,
      ts: new Date().toISOString(),
      metrics: { rain_mm_h: (i % 50) / 2, soil_moisture_pct: 30 + (i % 20), tilt_deg: 0.1 },
    });
    const singles = Array.from({ length: 1000 }, (_, i) => JSON.stringify(event(i)));
    const batches = Array.from({ length: 50 }, (_, b) => JSON.stringify({ events: Array.from({ length: 100 }, (_, i) => event(b * 100 + i)) }));
    // The size of one Kafka record value as the API writes it, for the broker ceiling.
    const recordSize = Buffer.byteLength(
      encodeEventMessage({ eventId: '0190d5a0-0000-7000-8000-000000000000', ...event(1) }, Date.now(), 'gateway:bench-gateway').value,
    );

    // A device whose state the worker would have cached, for the read scenario.
    const redis = new Redis(env.REDIS_URL!);
    await new DeviceCache(redis, 'floodgate').writeIfNewer(
      {
        deviceId: 'bench-read',
        eventId: '0190d5a0-0000-7000-8000-000000000001',
        ts: new Date().toISOString(),
        metrics: { rain_mm_h: 3 },
        updatedAt: new Date().toISOString(),
      },
      3_600_000,
    );
    await redis.quit();
    const viewer = await mintToken({ secret, issuer: 'floodgate', audience: 'floodgate-api', subject: 'bench-viewer', role: 'viewer', ttlSeconds: 3600 });

    process.stderr.write(`scenarios of ${seconds} s each:\n`);
    const scenarios: Scenario[] = [];
    // Warm-up: JIT, Kafka connections and metadata.
    await autocannon({ url: `${apiUrl}/v1/events`, method: 'POST', connections: 16, duration: 2, headers, body: singles[0] });
    // Reads first, then ingest; before each scenario the API's producer must have drained the previous one.
    const drained = async () => {
      for (let i = 0; i < 600; i++) {
        const health = (await (await fetch(`${apiUrl}/healthz`)).json()) as { producer: { inflightEvents: number } };
        if (health.producer.inflightEvents === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const run = async (name: string, opts: Parameters<typeof load>[1]) => {
      await drained();
      scenarios.push(await load(name, opts));
    };
    await run('bare express GET c=64', { url: `${bareUrl}/v1/devices/bench-read`, method: 'GET', connections: 64, eventsPerRequest: 0 });
    await run('cached device read c=64', {
      url: `${apiUrl}/v1/devices/bench-read`,
      method: 'GET',
      connections: 64,
      headers: { authorization: `Bearer ${viewer}` },
      eventsPerRequest: 0,
    });
    for (const connections of [64, 256]) {
      await run(`bare express 202 c=${connections}`, {
        url: `${bareUrl}/v1/events`,
        method: 'POST',
        connections,
        headers,
        bodies: singles,
        eventsPerRequest: 1,
      });
      await run(`ingest single c=${connections}`, { url: `${apiUrl}/v1/events`, method: 'POST', connections, headers, bodies: singles, eventsPerRequest: 1 });
    }
    for (const connections of [64, 256])
      await run(`ingest batch100 c=${connections}`, {
        url: `${apiUrl}/v1/events`,
        method: 'POST',
        connections,
        headers,
        bodies: batches,
        eventsPerRequest: 100,
      });
    await drained();

    process.stderr.write(`broker ceiling: ProducerPerformance, ${recordSize}-byte records, acks=all, idempotent\n`);
    const broker = await producerPerformance(env, recordSize, 300_000);
    process.stderr.write(`  ${broker.line}\n`);

    const by = (name: string) => scenarios.find((s) => s.name === name)!;
    const ratios = {
      singleVsBare64: by('ingest single c=64').reqPerSec / by('bare express 202 c=64').reqPerSec,
      singleVsBare256: by('ingest single c=256').reqPerSec / by('bare express 202 c=256').reqPerSec,
      batchVsBroker64: by('ingest batch100 c=64').eventsPerSec / broker.recordsPerSec,
      batchVsBroker256: by('ingest batch100 c=256').eventsPerSec / broker.recordsPerSec,
      readVsBare: by('cached device read c=64').reqPerSec / by('bare express GET c=64').reqPerSec,
    };
    const targets = { singleVsBare: 0.5, batchVsBroker: 0.5, readVsBare: 0.6, readP99Ms: 10 };
    const result = {
      at: new Date().toISOString(),
      secondsPerScenario: seconds,
      cpus: os.cpus().length,
      loadAverage: { before: loadBefore, after: os.loadavg() },
      recordSize,
      scenarios,
      broker,
      ratios,
      targets,
    };
    const out = path.join(root, 'bench', 'results', `api-${result.at.replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

    console.table(
      scenarios.map((s) => ({
        scenario: s.name,
        'req/s': s.reqPerSec,
        'events/s': s.eventsPerSec,
        'p50 ms': s.p50Ms,
        'p99 ms': s.p99Ms,
        non2xx: s.non2xx,
        errors: s.errors,
      })),
    );
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
    console.log(`broker ceiling ${broker.recordsPerSec} records/s (${recordSize} B, acks=all)`);
    console.log(
      `single-event vs bare Express: ${pct(ratios.singleVsBare64)} (c=64), ${pct(ratios.singleVsBare256)} (c=256); target >= ${pct(targets.singleVsBare)}`,
    );
    console.log(
      `batch ingest vs broker ceiling: ${pct(ratios.batchVsBroker64)} (c=64), ${pct(ratios.batchVsBroker256)} (c=256); target >= ${pct(targets.batchVsBroker)}`,
    );
    console.log(
      `cached reads vs bare Express: ${pct(ratios.readVsBare)}, p99 ${by('cached device read c=64').p99Ms} ms; target >= ${pct(targets.readVsBare)}, p99 <= ${targets.readP99Ms} ms`,
    );
    console.log(
      `load average (1/5/15 min) before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} CPUs`,
    );
    console.log(`results: ${path.relative(root, out)}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    if (owned) await down({ dir });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
