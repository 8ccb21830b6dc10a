/**
 * Floodgate's own services as child processes of the demo: started with tsx (and the
 * tracing preload when Jaeger runs), output to a log file, health-checked over HTTP,
 * and stopped with SIGTERM (then SIGKILL) when the demo ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@floodgate/devstack';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  stop(graceMs?: number): Promise<void>;
}

export function tsxCommand(script: string, args: string[] = [], traced = false): { command: string; args: string[] } {
  const root = repoRoot();
  const preload = path.join(root, 'packages/telemetry/src/register.ts');
  const tsx = path.join(root, 'node_modules/.bin/tsx');
  return { command: tsx, args: [...(traced && fs.existsSync(preload) ? ['--import', preload] : []), path.join(root, script), ...args] };
}

export function startService(name: string, script: string, args: string[], env: NodeJS.ProcessEnv, logDir: string, traced = false): ServiceProcess {
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const { command, args: argv } = tsxCommand(script, args, traced);
  const child = spawn(command, argv, { env, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    logFile,
    async stop(graceMs = 20000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig); // the whole group: tsx and the node it runs
        } catch {
          // already gone
        }
      };
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx, or fails with the tail of the service's log. */
export async function waitHealthy(service: ServiceProcess, url: string, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited during start-up; see ${service.logFile}:\n${tail(service.logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${service.name} did not become healthy at ${url} within ${timeoutMs / 1000}s; see ${service.logFile}:\n${tail(service.logFile)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}
