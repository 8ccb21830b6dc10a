/**
 * Background server processes: start detached with output to a log file, tell
 * whether one still runs, stop it (politely, then by force) and wait until it is gone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StackError } from './stack-error';

export interface DaemonOptions {
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
}

/** Finds a command on PATH (or an absolute path) or fails with the install hint. */
export function requireCommand(command: string, fix: string): string {
  if (path.isAbsolute(command)) {
    if (fs.existsSync(command)) return command;
  } else {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const candidate = path.join(dir, command);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not in this folder
      }
    }
  }
  throw new StackError(`${command} was not found`, fix);
}

export function startDaemon(command: string, args: string[], opts: DaemonOptions): number {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const out = fs.openSync(opts.logFile, 'a');
  if (opts.user) fs.fchownSync(out, opts.user.uid, opts.user.gid);
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', out, out],
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      uid: opts.user?.uid,
      gid: opts.user?.gid,
    });
    child.on('error', () => undefined); // reported through isRunning/readiness instead
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `signal` to the process group, then SIGKILL after `graceMs`; resolves when gone. */
export async function stopDaemon(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15000): Promise<void> {
  if (!isRunning(pid)) return;
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid!, sig);
    } catch {
      try {
        process.kill(pid!, sig);
      } catch {
        // already gone
      }
    }
  };
  send(signal);
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (isRunning(pid)) {
    send('SIGKILL');
    while (isRunning(pid)) await sleep(20);
  }
}

/** Polls `probe` until it resolves, or fails with the last error and the log's tail. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, opts: { timeoutMs: number; pid?: number; logFile?: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    if (opts.pid !== undefined && !isRunning(opts.pid)) {
      throw new StackError(
        `${what} exited during start-up${opts.logFile ? `; last log lines:\n${tail(opts.logFile)}` : ''}`,
        `read ${opts.logFile ?? 'its log'}`,
      );
    }
    try {
      return await probe();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `${what} was not ready after ${opts.timeoutMs / 1000}s: ${last instanceof Error ? last.message : String(last)}${opts.logFile ? `\nlast log lines:\n${tail(opts.logFile)}` : ''}`,
        `read ${opts.logFile ?? 'its log'}`,
        { cause: last },
      );
    }
    await sleep(200);
  }
}

export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Runs a command to completion without blocking the event loop (other servers keep
 * starting meanwhile); throws a StackError with the output's tail on failure.
 */
export function run(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; user?: { uid: number; gid: number }; what: string; fix: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      uid: opts.user?.uid,
      gid: opts.user?.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const fail = (why: string) =>
      reject(
        new StackError(
          `${opts.what} failed (${path.basename(command)} ${args.join(' ')}): ${why}\n${output.trim().split('\n').slice(-20).join('\n')}`,
          opts.fix,
        ),
      );
    child.on('error', (err) => fail(err.message));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : fail(`exit ${code}`)));
  });
}

/**
 * Processes whose command line mentions `dir` or whose working folder is inside it
 * (Redis rewrites its command line, so the working folder catches it): used to
 * prove that nothing of ours is left after a stop.
 */
export function processesMentioning(dir: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // not ours to read
      }
      const inside = cwd === dir || cwd.startsWith(`${dir}/`);
      if ((cmdline.includes(dir) || inside) && isRunning(Number(entry))) found.push({ pid: Number(entry), cmdline });
    } catch {
      // process ended while we looked
    }
  }
  return found;
}
