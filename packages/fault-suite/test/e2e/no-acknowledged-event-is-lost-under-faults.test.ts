import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { SignJWT } from 'jose';
import { v7 as uuidv7 } from 'uuid';
import {
  down,
  freePort,
  repoRoot,
  startPostgresMember,
  startServer,
  stackEnv,
  stopPostgresMember,
  stopServer,
  up,
  updateServer,
  type PostgresState,
} from '@floodgate/devstack';
import { newLedger, sendBatch } from '@floodgate/fleet-simulator';
import { startService, waitHealthy, type ServiceProcess } from '@floodgate/demo/src/service-process';
import { checkNoLoss, renderReports, startSteadyLoad, type FaultReport, type SteadyLoad } from '../../src';

jest.setTimeout(600000);

// The fault suite: real Kafka, PostgreSQL (primary + streaming replica) and Redis, the real
// API and worker as processes, a steady load of events with known ids, and one fault at a
// time. After each, the checker proves no acknowledged event was lost or duplicated, the
// state and cache are the newest by event time, nothing transient was dead-lettered, and
// says how long until an event sent after the fault cleared was stored.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-faults-'));
fs.chmodSync(dir, 0o755);
const reports: FaultReport[] = [];
let env: NodeJS.ProcessEnv;
let api: ServiceProcess;
let worker: ServiceProcess;
let baseUrl: string;
let token: string;
let viewerToken: string;
let db: pg.Pool;
let redis: Redis;
let kafka: Kafka;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startWorker(): Promise<ServiceProcess> {
  const port = await freePort();
  const w = startService(
    'worker',
    'services/worker/src/main.ts',
    ['consume'],
    { ...env, HTTP_PORT: String(port), WORKER_RETRY_MAX_MS: '2000' },
    path.join(dir, 'logs'),
  );
  await waitHealthy(w, `http://127.0.0.1:${port}/healthz`);
  return w;
}

beforeAll(async () => {
  const stack = await up({ dir: path.join(dir, 'stack'), servers: ['kafka', 'postgres', 'redis'] });
  env = { ...process.env, ...stackEnv(stack), LOG_LEVEL: 'warn', NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning' };
  const migrate = startService('migrate', 'services/worker/src/main.ts', ['migrate'], env, path.join(dir, 'logs'));
  expect(await new Promise((r) => migrate.child.once('exit', r))).toBe(0);
  const secret = crypto.randomBytes(32).toString('hex');
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  api = startService(
    'api',
    'services/api/src/main.ts',
    [],
    { ...env, PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: secret, RATE_LIMIT_PER_MINUTE: '1000000' },
    path.join(dir, 'logs'),
  );
  await waitHealthy(api, `${baseUrl}/healthz`);
  worker = await startWorker();
  const mint = (role: string) =>
    new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`fault-suite-${role}`)
      .setIssuer('floodgate')
      .setAudience('floodgate-api')
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(secret));
  token = await mint('gateway');
  viewerToken = await mint('viewer');
  db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
  db.on('error', () => undefined);
  redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  kafka = new Kafka({ clientId: 'fault-suite', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await db?.end().catch(() => undefined);
  redis?.disconnect();
  await down({ dir: path.join(dir, 'stack') });
  if (reports.length) {
    const out = path.join(repoRoot(), '.floodgate', 'test-results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'fault-suite.json'), JSON.stringify(reports, null, 2));
    fs.writeFileSync(path.join(out, 'fault-suite.md'), `${renderReports(reports)}\n`);
    process.stdout.write(`\nfault suite:\n${renderReports(reports)}\n`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

async function dlqCount(): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(`${env.KAFKA_TOPIC_PREFIX}.events.dlq`);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Sends one fresh event at a time after the fault cleared, until one is stored: the recovery time. */
async function recoverySeconds(load: SteadyLoad, prefix: string, since: number): Promise<number> {
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const e = { eventId: uuidv7(), deviceId: `${prefix}-sentinel`, ts: new Date().toISOString(), metrics: { rain_mm_h: 0 } };
    load.events.set(e.eventId, e);
    await sendBatch([e], { baseUrl, token, ledger: load.ledger, maxAttempts: 1, timeoutMs: 3000 });
    for (let i = 0; i < 8; i++) {
      const stored = await db.query('select 1 from readings where event_id = $1', [e.eventId]).then(
        (r) => r.rowCount === 1,
        () => false,
      );
      if (stored) return (Date.now() - since) / 1000;
      await sleep(250);
    }
  }
  throw new Error(`${prefix}: no event sent after the fault was stored within 120 s`);
}

async function waitDrained(load: SteadyLoad): Promise<void> {
  const ids = [...load.ledger.accepted];
  for (let i = 0; i < 240; i++) {
    const { rows } = await db
      .query<{ n: number }>('select count(*)::int as n from readings where event_id = any($1::uuid[])', [ids])
      .catch(() => ({ rows: [{ n: -1 }] }));
    if (rows[0]!.n === ids.length) return;
    await sleep(500);
  }
}

/** Runs the steady load around `inject` (which returns when the fault has cleared) and checks the result. */
async function underFault(fault: string, inject: (load: SteadyLoad) => Promise<void>): Promise<FaultReport> {
  const dlqBefore = await dlqCount();
  const load = startSteadyLoad({ baseUrl, token, devicePrefix: fault, devices: 20, batchSize: 20, intervalMs: 100 });
  await sleep(2500);
  await inject(load);
  const cleared = Date.now();
  const recovery = await recoverySeconds(load, fault, cleared);
  await sleep(1500);
  await load.stop();
  await waitDrained(load);
  const report = await checkNoLoss({
    fault,
    ledger: load.ledger,
    events: load.events,
    db,
    redis,
    cachePrefix: 'floodgate',
    dlqAdded: (await dlqCount()) - dlqBefore,
    recoverySeconds: recovery,
  });
  reports.push(report);
  return report;
}

function expectClean(r: FaultReport): void {
  expect(r.accepted).toBeGreaterThan(0);
  expect({
    fault: r.fault,
    lost: r.lost,
    duplicates: r.duplicates,
    rejectedButStored: r.rejectedButStored,
    stateMismatches: r.stateMismatches,
    cacheBehind: r.cacheBehind,
    dlqAdded: r.dlqAdded,
  }).toEqual({
    fault: r.fault,
    lost: 0,
    duplicates: 0,
    rejectedButStored: 0,
    stateMismatches: 0,
    cacheBehind: 0,
    dlqAdded: 0,
  });
}

test('baseline: steady load with no fault', async () => {
  expectClean(await underFault('baseline', async () => void (await sleep(2000))));
});

test('the worker killed with SIGKILL mid-batch (and started again, as its Deployment would)', async () => {
  const r = await underFault('worker-sigkill', async () => {
    process.kill(-worker.child.pid!, 'SIGKILL');
    await sleep(1000);
    worker = await startWorker();
  });
  expectClean(r);
});

test('the Kafka broker stopped for 6 s and started again: 503s while down, no restart of the services', async () => {
  const r = await underFault('kafka-restart', async (load) => {
    await stopServer('kafka', { dir: path.join(dir, 'stack') });
    try {
      await sleep(6000);
      expect(load.ledger.statusCounts['503'] ?? 0).toBeGreaterThan(0);
    } finally {
      await startServer('kafka', { dir: path.join(dir, 'stack') });
    }
  });
  expectClean(r);
});

test('the PostgreSQL primary stopped for 6 s and started again: the worker retries, nothing dead-lettered', async () => {
  const r = await underFault('primary-restart', async () => {
    await updateServer<PostgresState>('postgres', async (s) => (await stopPostgresMember(s, 'primary'), s), { dir: path.join(dir, 'stack') });
    try {
      await sleep(6000);
    } finally {
      await updateServer<PostgresState>('postgres', (s) => startPostgresMember(s, 'primary'), { dir: path.join(dir, 'stack') });
    }
  });
  expectClean(r);
});

test('the read replica stopped: device reads still answer (from the primary) and ingest is untouched', async () => {
  const r = await underFault('replica-stopped', async () => {
    await updateServer<PostgresState>('postgres', async (s) => (await stopPostgresMember(s, 'replica'), s), { dir: path.join(dir, 'stack') });
    try {
      await redis.del('floodgate:device:baseline-000'); // force a cache miss
      const res = await fetch(`${baseUrl}/v1/devices/baseline-000`, { headers: { authorization: `Bearer ${viewerToken}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { deviceId: string }).deviceId).toBe('baseline-000');
      await sleep(3000);
    } finally {
      await updateServer<PostgresState>('postgres', (s) => startPostgresMember(s, 'replica'), { dir: path.join(dir, 'stack') });
    }
  });
  expectClean(r);
});

test('Redis stopped for 6 s and started again: reads come from PostgreSQL, ingest goes on, the cache never moves backwards', async () => {
  const r = await underFault('redis-restart', async () => {
    await stopServer('redis', { dir: path.join(dir, 'stack') });
    try {
      const res = await fetch(`${baseUrl}/v1/devices/baseline-001`, { headers: { authorization: `Bearer ${viewerToken}` } });
      expect(res.status).toBe(200);
      await sleep(6000);
    } finally {
      await startServer('redis', { dir: path.join(dir, 'stack') });
    }
  });
  expectClean(r);
});

test('a poison message goes to the DLQ with its headers, and does not block its partition', async () => {
  const before = await dlqCount();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: `${env.KAFKA_TOPIC_PREFIX}.events`, messages: [{ key: 'poison-device', value: '{"this is": "not an event"' }] });
  await producer.disconnect();
  const ledger = newLedger();
  const after = { eventId: uuidv7(), deviceId: 'poison-device', ts: new Date().toISOString(), metrics: { rain_mm_h: 1 } };
  expect(await sendBatch([after], { baseUrl, token, ledger })).toBe('accepted');
  let stored = false;
  for (let i = 0; i < 120 && !stored; i++) {
    stored = (await db.query('select 1 from readings where event_id = $1', [after.eventId])).rowCount === 1;
    if (!stored) await sleep(250);
  }
  expect(stored).toBe(true); // the same partition (same key) moved on past the poison message
  expect((await dlqCount()) - before).toBe(1);
  const consumer = kafka.consumer({ groupId: `fault-suite-dlq-${process.pid}` });
  await consumer.connect();
  await consumer.subscribe({ topic: `${env.KAFKA_TOPIC_PREFIX}.events.dlq`, fromBeginning: true });
  const headers = await new Promise<Record<string, string>>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() === 'poison-device') resolve(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
      },
    });
  });
  await consumer.disconnect();
  expect(Object.keys(headers)).toEqual(
    expect.arrayContaining([
      'floodgate-error',
      'floodgate-source-topic',
      'floodgate-source-partition',
      'floodgate-source-offset',
      'floodgate-first-seen',
      'floodgate-attempts',
    ]),
  );
});
