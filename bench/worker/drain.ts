/**
 * `make bench` (worker part). Two measurements in one run, against the local stack:
 * 1. Drain rate: pre-fill `<prefix>.events` (12 partitions) with BENCH_EVENTS events (default 200,000; the issue's
 *    figure is 1,000,000), start ONE worker process, and time events/s to durable rows (committed offsets, which the
 *    worker commits only after the rows are durable). In the same run, the raw ceiling: COPY of the same rows into
 *    `readings` of a second, identical database by a minimal script. Target: drain >= 50 % of COPY.
 * 2. End-to-end latency at a fixed rate of half the drain rate: HTTP POST to the API -> 202 -> row committed -> cache
 *    updated (a probe event per request; its Redis entry is polled). Target: p99 <= 250 ms.
 * Writes bench/results/worker-<timestamp>.json and prints a table. Uses the stack in FLOODGATE_STATE_DIR (or starts
 * one and stops it again). Knobs: BENCH_EVENTS, BENCH_DEVICES, BENCH_LATENCY_SECONDS, BENCH_LATENCY_RATE (events/s).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pg from 'pg';
import { deviceKey } from '@floodgate/cache';
import { migrate } from '@floodgate/db';
import { down, freePort, readStack, repoRoot, stackEnv, up } from '@floodgate/devstack';
import { encodeEventMessage, type DeviceEvent } from '@floodgate/events';
import { mintToken } from '../../services/api/src/auth/mint-token';
import { copyFrom, copyRow } from './raw-copy';

const total = Number(process.env.BENCH_EVENTS ?? 200_000);
const devices = Number(process.env.BENCH_DEVICES ?? 10_000);
const latencySeconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const root = repoRoot();
const runId = Date.now().toString(36);
const prefix = `bench-${runId}`;
const jwtSecret = 'bench-secret-bench-secret-bench-secret-0123';
const base = Date.parse('2026-11-23T00:00:00Z');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

/** Event number i, the same every time it is asked for (the drain and the COPY get identical rows). */
function eventAt(i: number): DeviceEvent {
  const hex = i.toString(16).padStart(12, '0');
  return {
    eventId: `0193a000-0000-7000-8000-${hex}`,
    deviceId: `dev-${i % devices}`,
    ts: new Date(base + i * 10).toISOString(),
    metrics: { rain_mm_h: (i % 50) / 10, soil_moisture_pct: 20 + (i % 15), battery_v: 3.9 },
  };
}

async function createDatabase(env: Record<string, string>, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: env.FLOODGATE_PG_SUPERUSER_URL });
  await admin.connect();
  const owner = new URL(env.DATABASE_URL!).username;
  await admin.query(`create database ${name} owner ${owner}`);
  await admin.end();
  const u = new URL(env.DATABASE_URL!);
  u.pathname = `/${name}`;
  await migrate({ databaseUrl: u.toString() });
  return u.toString();
}

async function dropDatabase(env: Record<string, string>, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: env.FLOODGATE_PG_SUPERUSER_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
  await admin.end();
}

async function committed(admin: Admin, group: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const dir = process.env.FLOODGATE_STATE_DIR ?? path.join(root, '.floodgate', 'bench-stack');
  const owned = !readStack(dir);
  const stack = await up({ dir, log: (l) => process.stderr.write(`[stack] ${l}\n`) });
  const env = stackEnv(stack);
  const kafka = new Kafka({ clientId: 'bench-worker', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${prefix}.events`;
  const group = `${prefix}-worker`;
  const dbDrain = `bench_drain_${runId}`;
  const dbCopy = `bench_copy_${runId}`;
  const children: ChildProcess[] = [];
  const redis = new Redis(env.REDIS_URL!);
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 12 },
        { topic: `${prefix}.events.dlq`, numPartitions: 3 },
        { topic: `${prefix}.alerts`, numPartitions: 3 },
      ],
    });
    const drainUrl = await createDatabase(env, dbDrain);
    const copyUrl = await createDatabase(env, dbCopy);

    // Pre-fill, as the API would produce (key = device, JSON value, ingest-time header), acks=all.
    log(`pre-filling ${total} events across 12 partitions`);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const fillStart = Date.now();
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < total; i += 1000) {
      const messages = [];
      for (let j = i; j < Math.min(total, i + 1000); j++) messages.push(encodeEventMessage(eventAt(j), Date.now(), 'bench'));
      inFlight.push(producer.send({ topic, acks: -1, messages }));
      if (inFlight.length >= 8) await Promise.all(inFlight.splice(0));
    }
    await Promise.all(inFlight);
    await producer.disconnect();
    const fillSeconds = (Date.now() - fillStart) / 1000;
    log(`pre-filled in ${round(fillSeconds)} s`);

    // Raw ceiling: COPY the same rows into an identical readings table, one connection.
    const copyClient = new pg.Client({ connectionString: copyUrl });
    await copyClient.connect();
    const chunks = function* () {
      for (let i = 0; i < total; i += 10_000) {
        let text = '';
        for (let j = i; j < Math.min(total, i + 10_000); j++) {
          const e = eventAt(j);
          text += copyRow([e.deviceId, e.eventId, e.ts, JSON.stringify(e.metrics), null, new Date(base).toISOString()]);
        }
        yield Buffer.from(text);
      }
    };
    const copyStart = process.hrtime.bigint();
    const copied = await copyFrom(copyClient, 'readings', ['device_id', 'event_id', 'ts', 'metrics', 'payload', 'ingested_at'], chunks());
    const copySeconds = Number(process.hrtime.bigint() - copyStart) / 1e9;
    await copyClient.end();
    if (copied !== total) throw new Error(`COPY stored ${copied} rows, expected ${total}`);
    const copyRate = total / copySeconds;
    log(`raw COPY: ${total} rows in ${round(copySeconds, 2)} s = ${Math.round(copyRate)} rows/s`);

    // Drain with one worker process. BENCH_WORKER_LOG=<file>: its debug log (per-batch phase timings) goes there.
    const workerLog = process.env.BENCH_WORKER_LOG ? fs.openSync(process.env.BENCH_WORKER_LOG, 'w') : 'ignore';
    const workerEnv = {
      ...env,
      DATABASE_URL: drainUrl,
      DATABASE_READ_URL: drainUrl,
      KAFKA_TOPIC_PREFIX: prefix,
      WORKER_GROUP_ID: group,
      REDIS_KEY_PREFIX: prefix,
      HTTP_PORT: '0',
      LOG_LEVEL: process.env.BENCH_WORKER_LOG ? 'debug' : 'warn',
    };
    const worker = fork(path.join(root, 'services/worker/src/main.ts'), ['consume'], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...workerEnv },
      stdio: ['ignore', workerLog, 'inherit', 'ipc'],
    });
    children.push(worker);
    // The clock starts when the first batch's transaction began (min(stored_at), same machine clock), so process
    // start-up and the group join are not counted, and it stops when every offset is committed (rows durable).
    for (;;) {
      if ((await committed(admin, group, topic)) >= total) break;
      if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const t1 = Date.now();
    const check = new pg.Client({ connectionString: drainUrl });
    await check.connect();
    const [row] = (await check.query<{ n: string; first: Date }>('select count(*) as n, min(stored_at) as first from readings')).rows;
    await check.end();
    const stored = Number(row!.n);
    const t0 = row!.first.getTime();
    const atT0 = 0;
    const drainSeconds = (t1 - t0) / 1000;
    const drainRate = total / drainSeconds;
    if (stored !== total) throw new Error(`drain stored ${stored} rows, expected ${total}`);
    log(`drain: ${total - atT0} events in ${round(drainSeconds, 2)} s = ${Math.round(drainRate)} events/s (${round((100 * drainRate) / copyRate)} % of COPY)`);

    // End-to-end latency through the API at half the drain rate.
    const rate = Number(process.env.BENCH_LATENCY_RATE ?? Math.round(drainRate / 2));
    const apiPort = await freePort();
    const api = fork(path.join(root, 'services/api/src/main.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        ...env,
        PORT: String(apiPort),
        HOST: '127.0.0.1',
        JWT_SECRET: jwtSecret,
        KAFKA_TOPIC_PREFIX: prefix,
        REDIS_KEY_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '1000000000',
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    for (let until = Date.now() + 30000; ;) {
      if (
        await fetch(`${apiUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (Date.now() > until) throw new Error('the API did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const token = await mintToken({
      secret: jwtSecret,
      issuer: 'floodgate',
      audience: 'floodgate-api',
      subject: 'bench-gateway',
      role: 'gateway',
      ttlSeconds: 3600,
    });
    const tickMs = 50;
    const perTick = Math.max(1, Math.min(1000, Math.round((rate * tickMs) / 1000)));
    log(`latency: ${perTick} events every ${tickMs} ms (${Math.round((perTick * 1000) / tickMs)} events/s) through the API for ${latencySeconds} s`);
    const ackMs: number[] = [];
    const visibleMs: number[] = [];
    const pending = new Map<string, { eventId: string; sent: number }>();
    let failures = 0;
    let n = 0;
    let polling = true;
    const poller = (async () => {
      while (polling || pending.size > 0) {
        const probes = [...pending.entries()];
        if (probes.length) {
          const pipeline = redis.pipeline();
          for (const [device] of probes) pipeline.hget(deviceKey(prefix, device), 'state');
          const res = (await pipeline.exec()) ?? [];
          const now = performance.now();
          probes.forEach(([device, p], k) => {
            const json = res[k]?.[1] as string | null;
            if (json && (JSON.parse(json) as { eventId: string }).eventId === p.eventId) {
              visibleMs.push(now - p.sent);
              pending.delete(device);
            } else if (now - p.sent > 30000) pending.delete(device);
          });
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let tick = 0; performance.now() - started < latencySeconds * 1000; tick++) {
      const events = Array.from({ length: perTick }, (_, k) => {
        n += 1;
        const probe = k === 0;
        return {
          eventId: `0193b000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`,
          deviceId: probe ? `probe-${n}` : `lat-${n % devices}`,
          ts: new Date().toISOString(),
          metrics: { rain_mm_h: 1 },
        };
      });
      const sent = performance.now();
      sends.push(
        fetch(`${apiUrl}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        }).then(
          async (res) => {
            await res.arrayBuffer();
            if (res.status !== 202) return void (failures += 1);
            ackMs.push(performance.now() - sent);
            pending.set(events[0]!.deviceId, { eventId: events[0]!.eventId, sent });
          },
          () => void (failures += 1),
        ),
      );
      const next = started + (tick + 1) * tickMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    await Promise.all(sends);
    polling = false;
    await poller;
    ackMs.sort((a, b) => a - b);
    visibleMs.sort((a, b) => a - b);

    const result = {
      at: new Date().toISOString(),
      events: total,
      devices,
      prefillSeconds: round(fillSeconds, 2),
      copy: { rows: total, seconds: round(copySeconds, 3), rowsPerSecond: Math.round(copyRate) },
      drain: {
        events: total - atT0,
        seconds: round(drainSeconds, 3),
        eventsPerSecond: Math.round(drainRate),
        percentOfCopy: round((100 * drainRate) / copyRate),
        targetPercent: 50,
      },
      latency: {
        targetRate: rate,
        sentRate: Math.round((n * 1000) / (latencySeconds * 1000)),
        requests: sends.length,
        failures,
        probes: visibleMs.length,
        acceptedP50Ms: round(percentile(ackMs, 50)),
        acceptedP99Ms: round(percentile(ackMs, 99)),
        cacheUpdatedP50Ms: round(percentile(visibleMs, 50)),
        cacheUpdatedP99Ms: round(percentile(visibleMs, 99)),
        targetP99Ms: 250,
      },
      machine: { cpus: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg().map((l) => round(l, 2)) },
    };
    fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    const file = path.join(root, 'bench', 'results', `worker-${result.at.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(`\nWorker benchmark (${total} events, ${devices} devices, 12 partitions, one worker process)`);
    console.table({
      'raw COPY (ceiling)': { 'rows or events /s': result.copy.rowsPerSecond, seconds: result.copy.seconds },
      'worker drain': { 'rows or events /s': result.drain.eventsPerSecond, seconds: result.drain.seconds, '% of COPY': result.drain.percentOfCopy },
    });
    console.table({
      'HTTP 202': { p50_ms: result.latency.acceptedP50Ms, p99_ms: result.latency.acceptedP99Ms },
      '202 -> row committed -> cache updated': { p50_ms: result.latency.cacheUpdatedP50Ms, p99_ms: result.latency.cacheUpdatedP99Ms },
    });
    const how = process.env.BENCH_LATENCY_RATE ? 'BENCH_LATENCY_RATE' : 'half the drain rate';
    console.log(
      `latency at ${result.latency.sentRate} events/s (${how}), ${result.latency.probes} probes, ${failures} failed requests; written to ${path.relative(root, file)}`,
    );
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    redis.disconnect();
    await admin.deleteTopics({ topics: [topic, `${prefix}.events.dlq`, `${prefix}.alerts`] }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(env, dbDrain);
    await dropDatabase(env, dbCopy);
    if (owned) await down({ dir });
  }
}

main()
  .then(() => process.exit(0))
  .catch((err: Error) => {
    console.error(err);
    process.exit(1);
  });
