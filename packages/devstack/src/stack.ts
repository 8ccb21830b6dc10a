/**
 * The local stack: starts the chosen servers in one state folder, records what
 * runs where in `stack.json`, reports status, restarts or stops one server or all.
 */
import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { isRunning, processesMentioning } from './daemon';
import { defaultStateDir } from './paths';
import type { ServerModule, ServerState } from './server';
import { jaegerServer } from './servers/jaeger';
import { kafkaServer } from './servers/kafka';
import { kubeServer } from './servers/kube-apiserver';
import { postgresServer } from './servers/postgres';
import { prometheusServer } from './servers/prometheus';
import { redisServer } from './servers/redis';
import { StackError } from './stack-error';

/** Every server the stack knows, in start order. Later issues add theirs here. */
export const serverModules: Record<string, ServerModule<any>> = {
  kafka: kafkaServer,
  postgres: postgresServer,
  redis: redisServer,
  kube: kubeServer,
  jaeger: jaegerServer,
  prometheus: prometheusServer,
};

export const defaultServers = ['kafka', 'postgres', 'redis'];

export interface StackFile {
  dir: string;
  startedAt: string;
  servers: Record<string, ServerState>;
}

export function stackFilePath(dir = defaultStateDir()): string {
  return path.join(dir, 'stack.json');
}

export function readStack(dir = defaultStateDir()): StackFile | undefined {
  const file = stackFilePath(dir);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StackFile;
  } catch (err) {
    throw new StackError(`${file} is not valid JSON`, `stop any servers listed by 'ps -ef | grep ${dir}', then remove ${dir}`, { cause: err });
  }
}

function writeStack(stack: StackFile): void {
  fs.mkdirSync(stack.dir, { recursive: true });
  const tmp = `${stackFilePath(stack.dir)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(stack, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, stackFilePath(stack.dir));
}

function moduleFor(name: string): ServerModule {
  const mod = serverModules[name];
  if (!mod) throw new StackError(`unknown server "${name}"`, `choose from: ${Object.keys(serverModules).join(', ')}`);
  return mod;
}

export interface UpOptions {
  dir?: string;
  servers?: string[];
  log?: (line: string) => void;
}

/**
 * Starts the servers (in parallel where they do not depend on each other). A stack
 * already running in the folder is reused; a stale one (its processes gone) is
 * cleared first.
 */
export async function up(opts: UpOptions = {}): Promise<StackFile> {
  const dir = path.resolve(opts.dir ?? defaultStateDir());
  const wanted = opts.servers ?? defaultServers;
  wanted.forEach(moduleFor);
  return withUpLock(dir, () => startWanted(dir, wanted, opts.log ?? (() => undefined)));
}

/**
 * One `up` at a time per folder, across processes: parallel test files each make sure of the servers they need, and
 * two of them starting the same server at once ran it twice, on clashing ports, with one copy missing from
 * `stack.json` and left running by `down`. The lock (proper-lockfile: a directory, refreshed while held, taken over
 * when its holder has died) is held while servers start, which can take a minute; a waiter then sees them running.
 */
async function withUpLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const release = await lockfile.lock(dir, {
    lockfilePath: path.join(dir, 'up.lock'),
    realpath: false,
    stale: 60_000,
    retries: { retries: 3000, factor: 1, minTimeout: 200, maxTimeout: 200 },
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

async function startWanted(dir: string, wanted: string[], log: (line: string) => void): Promise<StackFile> {
  let stack = readStack(dir);
  if (stack) {
    const stale = Object.entries(stack.servers).filter(([, s]) => !s.pids.every(isRunning));
    for (const [name, s] of stale) {
      log(`${name}: stale state from an earlier run (its processes are gone); starting it afresh`);
      await moduleFor(name).stop(s);
      delete stack.servers[name];
    }
  }
  stack ??= { dir, startedAt: new Date().toISOString(), servers: {} };
  writeStack(stack);
  const toStart = wanted.filter((name) => !stack.servers[name]);
  const results = await Promise.allSettled(
    toStart.map(async (name) => {
      const t0 = Date.now();
      log(`${name}: starting`);
      const state = await moduleFor(name).start({ dir: path.join(dir, name), keepData: false });
      stack.servers[name] = state;
      writeStack(stack);
      log(`${name}: ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    await down({ dir });
    throw failed[0]!.reason;
  }
  return stack;
}

/** Stops one server and starts it again on the same ports with its data kept. */
export async function restart(name: string, opts: { dir?: string } = {}): Promise<void> {
  await stopServer(name, opts);
  await startServer(name, opts);
}

export async function stopServer(name: string, opts: { dir?: string } = {}): Promise<void> {
  const stack = requireStack(opts.dir);
  const state = stack.servers[name];
  if (!state) throw new StackError(`${name} is not part of the stack in ${stack.dir}`, `start it: floodgate-stack up --servers ${name}`);
  await moduleFor(name).stop(state);
}

export async function startServer(name: string, opts: { dir?: string } = {}): Promise<void> {
  const stack = requireStack(opts.dir);
  const previous = stack.servers[name];
  if (previous && previous.pids.every(isRunning)) return;
  stack.servers[name] = await moduleFor(name).start({ dir: path.join(stack.dir, name), keepData: previous !== undefined }, previous);
  writeStack(stack);
}

/**
 * Runs `change` on one server's recorded state and records what it returns: for fault
 * tests that stop and start part of a server (e.g. only the PostgreSQL primary).
 */
export async function updateServer<S extends ServerState>(name: string, change: (state: S) => Promise<S>, opts: { dir?: string } = {}): Promise<S> {
  const stack = requireStack(opts.dir);
  const state = stack.servers[name] as S | undefined;
  if (!state) throw new StackError(`${name} is not part of the stack in ${stack.dir}`, `start it: floodgate-stack up --servers ${name}`);
  const next = await change(state);
  stack.servers[name] = next;
  writeStack(stack);
  return next;
}

function requireStack(dir?: string): StackFile {
  const stack = readStack(dir ?? defaultStateDir());
  if (!stack) throw new StackError(`no local stack in ${dir ?? defaultStateDir()}`, 'start one: make up (or npm run stack -- up)');
  return stack;
}

/** Stops every server of the stack and removes its state file. */
export async function down(opts: { dir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const dir = path.resolve(opts.dir ?? defaultStateDir());
  const stack = readStack(dir);
  if (!stack) return;
  const names = Object.keys(stack.servers).reverse();
  await Promise.all(
    names.map(async (name) => {
      await moduleFor(name).stop(stack.servers[name]!);
      opts.log?.(`${name}: stopped`);
    }),
  );
  fs.rmSync(stackFilePath(dir), { force: true });
}

export interface ServerStatus {
  name: string;
  running: boolean;
  summary: string;
  logFiles: string[];
}

export async function status(opts: { dir?: string } = {}): Promise<ServerStatus[]> {
  const stack = readStack(opts.dir ?? defaultStateDir());
  if (!stack) return [];
  return Promise.all(
    Object.entries(stack.servers).map(async ([name, state]) => {
      try {
        return { name, running: true, summary: await moduleFor(name).check(state), logFiles: state.logFiles };
      } catch (err) {
        return { name, running: false, summary: `not answering: ${(err as Error).message}`, logFiles: state.logFiles };
      }
    }),
  );
}

/** The variables that point services and tests at this stack. */
export function stackEnv(stack: StackFile): Record<string, string> {
  const env: Record<string, string> = { FLOODGATE_STATE_DIR: stack.dir };
  for (const [name, state] of Object.entries(stack.servers)) Object.assign(env, moduleFor(name).env(state));
  return env;
}

/** Server processes still running from a stack folder (empty after a clean stop). */
export function leftoverProcesses(dir = defaultStateDir()) {
  return processesMentioning(path.resolve(dir));
}
