/**
 * Test support for the worker's integration tests: a database of the test's own (migrated), topics under a prefix of
 * its own, a producer that sends events as the API does, and the worker as a real child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { topicSpecs } from '@floodgate/config';
import { createOwnDatabase, type OwnDatabase } from '@floodgate/db';
import { encodeEventMessage, type DeviceEvent } from '@floodgate/events';

export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

export async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

export type TestDatabase = OwnDatabase;

/** A fresh, migrated database named after the test, so tests never see each other's rows. */
export function createTestDatabase(name: string): Promise<TestDatabase> {
  return createOwnDatabase({ adminUrl: process.env.FLOODGATE_PG_SUPERUSER_URL!, appUrl: process.env.DATABASE_URL!, name: `${name}_${process.pid}` });
}

export function kafkaClient(): Kafka {
  return new Kafka({ clientId: 'worker-test', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
}

/** Creates `<prefix>.events` (12), `.events.dlq` (3), `.alerts` (3). */
export async function createTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topicSpecs(prefix) });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export function makeEvent(deviceId: string, ts: Date | string, metrics: Record<string, number>, eventId = uuidv7()): DeviceEvent {
  return { eventId, deviceId, ts: new Date(ts).toISOString(), metrics };
}

/** Sends events exactly as the API does (key = device id, JSON value, ingest-time header), acks=all. */
export async function produceEvents(producer: Producer, prefix: string, events: DeviceEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const chunk = events.slice(i, i + 500);
    await producer.send({ topic: `${prefix}.events`, acks: -1, messages: chunk.map((e) => encodeEventMessage(e, Date.now(), 'test')) });
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const spawned = new Set<ChildProcess>();

/** Kills (SIGKILL) every worker a test started and did not stop, so a failed test leaves no process behind. */
export async function killLeftoverWorkers(): Promise<void> {
  await Promise.all(
    [...spawned].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  spawned.clear();
}

/**
 * Starts `node --import tsx services/worker/src/main.ts <sub>` with the stack's environment plus `env`. Node itself is
 * the child (no wrapper), so a signal sent to it, or one it sends itself, is exactly what the test sees.
 */
export function spawnWorker(env: Record<string, string>, sub = 'consume'): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'services/worker/src/main.ts'), sub], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning', HTTP_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': it fires once the output pipes are drained, so output() holds the last lines.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async waitForOutput(pattern, timeoutMs = 30000) {
      await waitFor(() => pattern.test(out), timeoutMs, `worker output matching ${pattern}:\n${out.slice(-3000)}`);
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The worker environment for a test: its own topics, group, database and cache prefix. */
export function workerEnv(prefix: string, databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
    KAFKA_TOPIC_PREFIX: prefix,
    WORKER_GROUP_ID: `${prefix}-worker`,
    DATABASE_URL: databaseUrl,
    DATABASE_READ_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL!,
    REDIS_KEY_PREFIX: prefix,
    WORKER_RETRY_BASE_MS: '100',
    WORKER_RETRY_MAX_MS: '2000',
    ALERT_RULES_REFRESH_MS: '500',
    ALERT_OUTBOX_INTERVAL_MS: '500',
    ...extra,
  };
}

export async function readingCounts(url: string): Promise<{ rows: number; distinct: number }> {
  const [r] = await sql<{ rows: number; distinct: number }>(
    url,
    `select count(*)::int as rows, count(distinct (device_id, event_id))::int as distinct from readings`,
  );
  return r!;
}

/** Messages not yet committed by `groupId` on `topic` (high watermark minus committed offset, summed). */
export async function uncommitted(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  // Metadata right after topic creation or a rebalance can be briefly stale ("not the leader"): ask again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await uncommittedOnce(kafka, groupId, topic);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
}

async function uncommittedOnce(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const high = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let lag = 0;
    for (const p of high) {
      const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
      lag += Number(p.high) - Math.max(c, 0);
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export interface WorkerTestBed {
  db: TestDatabase;
  kafka: Kafka;
  producer: Producer;
}

/**
 * What every worker integration file needs, set up before its tests and torn down after them: a database of its
 * own (migrated), the topics under `prefix`, and an idempotent producer. `beforeTeardown` runs first on the way out
 * (restart a server the file stopped, close a receiver), before the workers are killed and the rest is removed.
 */
export function useWorkerTestBed(prefix: string, database: string, beforeTeardown?: () => Promise<unknown>): WorkerTestBed {
  const bed = {} as WorkerTestBed;
  beforeAll(async () => {
    bed.db = await createTestDatabase(database);
    bed.kafka = kafkaClient();
    await createTopics(bed.kafka, prefix);
    bed.producer = bed.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await bed.producer.connect();
  });
  afterAll(async () => {
    await beforeTeardown?.();
    await killLeftoverWorkers();
    await bed.producer?.disconnect();
    if (bed.kafka) await deleteTopics(bed.kafka, prefix);
    await bed.db?.drop();
  });
  return bed;
}
