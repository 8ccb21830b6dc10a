/**
 * The real API as a process of its own (services/api/src/main.ts under tsx), as it runs in production:
 * its JSON logs are collected from stdout, its exit is watched, and with `heapProbe` it runs with
 * --expose-gc and the test-only heap-probe preload, so `heap()` returns the heap after a forced GC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@floodgate/devstack';
import { migrate } from '@floodgate/db';
import { audience, issuer, testSecret } from './api-under-test';

const root = path.resolve(__dirname, '../../../..');

export interface HeapSample {
  heapUsed: number;
  rss: number;
  gcForced: boolean;
}

export interface ApiProcess {
  url: string;
  port: number;
  pid: number;
  /** Everything the process wrote to stdout (its JSON logs) and stderr so far. */
  output(): string;
  /** undefined while it runs; the exit code or signal once it exited. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  heap(): Promise<HeapSample>;
  /** SIGTERM and wait for the exit (SIGKILL after `ms`). */
  stop(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function waitForHttp(url: string, child: ChildProcess, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the API process exited (${child.exitCode ?? child.signalCode}) before it answered`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

export async function startApiProcess(opts: { env?: Record<string, string>; heapProbe?: boolean } = {}): Promise<ApiProcess> {
  await migrate({ databaseUrl: process.env.DATABASE_URL! });
  const port = await freePort();
  const args = [
    ...(opts.heapProbe ? ['--expose-gc'] : []),
    '--import',
    'tsx',
    ...(opts.heapProbe ? ['--import', path.join(__dirname, 'heap-probe.ts')] : []),
    path.join(root, 'services/api/src/main.ts'),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: testSecret,
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience,
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.heapProbe ? (['ipc'] as const) : [])],
  });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; output:\n${output.join('').slice(-4000)}`, { cause: err });
  }
  return {
    url,
    port,
    pid: child.pid!,
    output: () => output.join(''),
    exit: () => exited,
    heap: () =>
      new Promise<HeapSample>((resolve, reject) => {
        if (!child.send) return reject(new Error('start the process with heapProbe: true to sample its heap'));
        const timer = setTimeout(() => reject(new Error('the API process did not answer the heap probe within 30 s')), 30_000);
        child.once('message', (m: HeapSample & { type: string }) => {
          clearTimeout(timer);
          resolve({ heapUsed: m.heapUsed, rss: m.rss, gcForced: m.gcForced });
        });
        child.send({ type: 'heap' });
      }),
    stop: async (ms = 20_000) => {
      if (exited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const result = await exitPromise;
      clearTimeout(timer);
      return result;
    },
  };
}
