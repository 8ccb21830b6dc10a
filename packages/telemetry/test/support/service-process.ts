/**
 * Runs Floodgate's real entry points as child processes, traced by the register preload exactly as in
 * production (`tsx --import ./packages/telemetry/src/register.ts <main.ts>`), against the local stack.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '@floodgate/devstack';

export const repo = path.resolve(__dirname, '../../../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');
const preload = './packages/telemetry/src/register.ts';

export interface ServiceProcess {
  name: string;
  port: number;
  url: string;
  logFile: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function logDir(): string {
  const dir = path.join(process.env.FLOODGATE_STATE_DIR ?? path.join(repo, '.floodgate', 'jest-stack'), 'e2e-logs');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs `services/worker/src/main.ts migrate` to completion (the Helm hook Job's command). */
export function runMigrations(): void {
  const run = spawnSync(tsx, ['services/worker/src/main.ts', 'migrate'], {
    cwd: repo,
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 120000,
  });
  if (run.status !== 0) throw new Error(`worker migrate failed (${run.status}): ${run.stderr}${run.stdout}`);
}

/** Starts an entry point and waits until `readyPath` on its HTTP port answers 200. */
export async function startService(
  name: string,
  entry: string,
  options: { args?: string[]; portVariable: string; env?: Record<string, string>; readyPath?: string; timeoutMs?: number },
): Promise<ServiceProcess> {
  const port = await freePort();
  const logFile = path.join(logDir(), `${name}-${process.pid}.log`);
  const out = fs.openSync(logFile, 'w');
  const child = spawn(tsx, ['--import', preload, entry, ...(options.args ?? [])], {
    cwd: repo,
    env: {
      ...process.env,
      NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
      OTEL_SERVICE_NAME: name,
      LOG_LEVEL: 'info',
      ...options.env,
      [options.portVariable]: String(port),
    },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode} while starting; log: ${logFile}\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      const res = await fetch(`${url}${options.readyPath ?? '/readyz'}`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${options.timeoutMs ?? 60000} ms; log: ${logFile}\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    name,
    port,
    url,
    logFile,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 20000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
