/**
 * Floodgate's own processes and the bare ceilings as the scenarios start them: the API and the worker as real child
 * processes on loopback against the bench stack, the bare Express app, tokens, Kafka topics and throwaway databases.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pg from 'pg';
import { topicNames, topicSpecs } from '@floodgate/config';
import { migrate } from '@floodgate/db';
import { freePort, repoRoot } from '@floodgate/devstack';
import { mintToken } from '../../services/api/src/auth/mint-token';
import { apiNodeFlags } from '../../services/api/src/node-flags';
import type { Resources } from './resources';
import type { StackEnvironment } from './scenario';

export const root = repoRoot();
export const jwtSecret = 'bench-secret-bench-secret-bench-secret-0123';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A short unique id for the names a run creates (topics, databases, key prefixes). */
export function runId(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1296)
    .toString(36)
    .padStart(2, '0')}`;
}

/** Polls until `url` answers 2xx; fails early when `child` exits. */
export async function waitForHttp(url: string, child?: ChildProcess, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) throw new Error(`the process behind ${url} exited with ${child.exitCode} before it answered`);
    const ok = await fetch(url).then(
      async (r) => {
        await r.arrayBuffer();
        return r.ok;
      },
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** Waits until the producer holds no un-acknowledged events (before the next load level starts). */
  drained(ms?: number): Promise<void>;
}

/**
 * Extra Node flags for one benchmarked process from the environment (BENCH_API_NODE_FLAGS, BENCH_WORKER_NODE_FLAGS),
 * space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` for its CPU profile.
 */
const nodeFlagsFrom = (variable: string): string[] => (process.env[variable] ?? '').split(' ').filter(Boolean);

/** One API process (as in production: `services/api/src/main.ts` with the image's V8 flags), rate limit out of the way. */
export async function startApi(res: Resources, stack: StackEnvironment, env: Record<string, string> = {}): Promise<ApiProcess> {
  // The schema the reads need (idempotent; the API never migrates by itself).
  await migrate({ databaseUrl: stack.DATABASE_URL! });
  const port = await freePort();
  const child = res.fork(path.join(root, 'services/api/src/main.ts'), [], {
    nodeFlags: [...apiNodeFlags, ...nodeFlagsFrom('BENCH_API_NODE_FLAGS')],
    env: {
      ...process.env,
      ...stack,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '1000000000',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child);
  return {
    url,
    child,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    drained: async (ms = 60_000) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const health = (await (await fetch(`${url}/healthz`)).json()) as { producer?: { inflightEvents?: number } };
        if ((health.producer?.inflightEvents ?? 0) === 0) return;
        await sleep(100);
      }
      throw new Error(`the API's producer still had events in flight after ${ms} ms`);
    },
  };
}

/** The framework ceiling: bench/api/bare-express.ts, an Express 5 app that answers without work, with the API's V8 flags. */
export async function startBareExpress(res: Resources): Promise<{ url: string; pid: number }> {
  const child = res.fork(path.join(root, 'bench/api/bare-express.ts'), [], { nodeFlags: apiNodeFlags, env: { ...process.env, PORT: '0' } });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`bare-express.ts exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid! };
}

/**
 * One worker process consuming `<prefix>.events` into `databaseUrl`. BENCH_WORKER_LOG=<file>: its debug log (per-batch
 * phase timings) is appended there.
 */
export function startWorker(
  res: Resources,
  stack: StackEnvironment,
  opts: { prefix: string; databaseUrl: string; group: string; httpPort?: number },
): ChildProcess {
  const logFile = process.env.BENCH_WORKER_LOG;
  const stdout = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  if (typeof stdout === 'number') res.defer(() => fs.closeSync(stdout));
  return res.fork(path.join(root, 'services/worker/src/main.ts'), ['consume'], {
    stdout,
    nodeFlags: nodeFlagsFrom('BENCH_WORKER_NODE_FLAGS'),
    env: {
      ...process.env,
      ...stack,
      DATABASE_URL: opts.databaseUrl,
      DATABASE_READ_URL: opts.databaseUrl,
      KAFKA_TOPIC_PREFIX: opts.prefix,
      WORKER_GROUP_ID: opts.group,
      REDIS_KEY_PREFIX: opts.prefix,
      HTTP_PORT: String(opts.httpPort ?? 0),
      LOG_LEVEL: logFile ? 'debug' : 'warn',
    },
  });
}

export function benchToken(role: 'gateway' | 'viewer'): Promise<string> {
  return mintToken({ secret: jwtSecret, issuer: 'floodgate', audience: 'floodgate-api', subject: `bench-${role}`, role, ttlSeconds: 6 * 3600 });
}

/** A Kafka admin client on the stack, disconnected by `res`. */
export async function kafkaAdmin(res: Resources, stack: StackEnvironment): Promise<{ kafka: Kafka; admin: Admin }> {
  const kafka = new Kafka({ clientId: 'bench', brokers: stack.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  res.defer(() => admin.disconnect());
  return { kafka, admin };
}

/** The topics the API and the worker use under `prefix` (as in production: 12 event partitions), deleted by `res`. */
export async function createTopics(res: Resources, admin: Admin, prefix: string): Promise<ReturnType<typeof topicNames>> {
  const names = topicNames(prefix);
  const topics = [names.events, names.eventsDlq, names.alerts];
  await admin.createTopics({
    waitForLeaders: true,
    topics: topicSpecs(prefix),
  });
  res.defer(() => admin.deleteTopics({ topics }));
  await untilPartitionsServe(admin, topics);
  return names;
}

/**
 * `waitForLeaders` reads the controller's view; the broker's own metadata can lag it for a moment, and a
 * produce or fetch then fails with "This server does not host this topic-partition" (it did once, in
 * e2e-latency). Ready when every partition's leader answers ListOffsets.
 */
async function untilPartitionsServe(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      for (const topic of topics) await admin.fetchTopicOffsets(topic);
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`topics ${topics.join(', ')} not served ${timeoutMs} ms after creation: ${(err as Error).message}`, { cause: err });
      await sleep(100);
    }
  }
}

/** A fresh database with Floodgate's schema (owned by the application role), dropped by `res`. */
export async function createDatabase(res: Resources, stack: StackEnvironment, name: string): Promise<string> {
  const superuser = stack.FLOODGATE_PG_SUPERUSER_URL!;
  const admin = new pg.Client({ connectionString: superuser });
  await admin.connect();
  try {
    await admin.query(`create database ${name} owner ${new URL(stack.DATABASE_URL!).username}`);
  } finally {
    await admin.end();
  }
  res.defer(async () => {
    const c = new pg.Client({ connectionString: superuser });
    await c.connect();
    try {
      await c.query(`drop database if exists ${name} with (force)`);
    } finally {
      await c.end();
    }
  });
  const url = new URL(stack.DATABASE_URL!);
  url.pathname = `/${name}`;
  await migrate({ databaseUrl: url.toString() });
  return url.toString();
}

/**
 * CHECKPOINT on the primary: flushes the dirty pages an earlier step left (a COPY of a million rows, a dropped database),
 * so their write-out does not land in the middle of the next measurement.
 */
export async function checkpoint(stack: StackEnvironment): Promise<void> {
  const c = new pg.Client({ connectionString: stack.FLOODGATE_PG_SUPERUSER_URL });
  await c.connect();
  try {
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}
