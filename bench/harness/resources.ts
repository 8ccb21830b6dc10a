/**
 * What a scenario starts, it must stop, also when it throws: `Resources` collects child processes and cleanups and
 * releases them in reverse order. Every child is also in a process-wide registry, so the harness can stop whatever
 * a failed or interrupted scenario left running before it stops the stack.
 */
import { execFile, fork, type ChildProcess, type StdioOptions } from 'node:child_process';

const live = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs` for a child that does not exit. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child any scenario started and that still runs. */
export async function stopAllChildren(graceMs = 10_000): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, graceMs)));
}

export class Resources {
  private readonly cleanups: Array<() => unknown> = [];

  /** Forks a TypeScript entry point (through tsx), with `nodeFlags` for Node and V8; stopped by `close()`. */
  fork(script: string, args: string[], opts: { env: NodeJS.ProcessEnv; stdout?: 'ignore' | 'inherit' | number; nodeFlags?: readonly string[] }): ChildProcess {
    const stdio: StdioOptions = ['ignore', opts.stdout ?? 'ignore', 'inherit', 'ipc'];
    const child = track(fork(script, args, { execArgv: [...(opts.nodeFlags ?? []), '--import', 'tsx'], env: opts.env, stdio }));
    this.cleanups.push(() => stopChild(child));
    return child;
  }

  /**
   * Runs a command to completion, killed after `timeoutMs` (load generators are bounded in time). Rejects with the
   * command, its exit status and the end of its stderr.
   */
  exec(command: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = track(
        execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) {
            const why = err.killed ? `killed after ${timeoutMs} ms` : `failed (${err.message.split('\n')[0]})`;
            reject(new Error(`${command} ${why}: ${String(stderr).trim().split('\n').slice(-5).join(' | ')}`, { cause: err }));
          } else resolve({ stdout: String(stdout), stderr: String(stderr) });
        }),
      );
      this.cleanups.push(() => stopChild(child, 1000));
    });
  }

  /** Registers a cleanup (drop a database, delete topics, close a client). */
  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  /** Releases everything in reverse order; a failing cleanup does not stop the others. Returns their errors. */
  async close(): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop()!;
      try {
        await cleanup();
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return errors;
  }
}

/** Runs `body` with fresh resources and always releases them. */
export async function withResources<T>(log: (line: string) => void, body: (res: Resources) => Promise<T>): Promise<T> {
  const res = new Resources();
  try {
    return await body(res);
  } finally {
    for (const err of await res.close()) log(`cleanup failed: ${err.message}`);
  }
}
