/**
 * Starts a TypeScript entry point as a Node child process (through tsx) with an IPC channel and
 * enough file descriptors: when the inherited soft limit is too low, the child runs under
 * `prlimit --nofile=<n>:`, which raises its soft limit only (up to the hard limit) and then execs
 * node, so the pid is node's. Nothing system-wide changes. (The harness's Resources.fork cannot set
 * a limit, hence this.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from '@floodgate/devstack';
import { planFdLimit, readNofileLimits } from './proc';

export { stopChild } from '../../harness/resources';

export interface NodeChildOptions {
  env: NodeJS.ProcessEnv;
  /** File descriptors the child needs (connections + its own). */
  nofile: number;
  /** Where the child's stdout goes: 'inherit' (default) or 'ignore'; stderr is always inherited. */
  output?: 'inherit' | 'ignore';
}

/** The command line that starts `script` with at least `nofile` descriptors; pure apart from reading our own limits. */
export function nodeCommand(script: string, nofile: number, limits = readNofileLimits()): { command: string; args: string[] } {
  const node = [process.execPath, '--import', 'tsx', script];
  const plan = planFdLimit(limits, nofile);
  return plan.raise ? { command: 'prlimit', args: [`--nofile=${plan.soft}:`, '--', ...node] } : { command: node[0]!, args: node.slice(1) };
}

export function startNodeChild(script: string, opts: NodeChildOptions): ChildProcess {
  const { command, args } = nodeCommand(script, opts.nofile);
  const out = opts.output ?? 'inherit';
  const child = spawn(command, args, { cwd: repoRoot(), env: opts.env, stdio: ['ignore', out, 'inherit', 'ipc'] });
  // The caller stops it; should this process exit first (an interrupted run), it does not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  return child;
}

/** The child's first IPC message that satisfies `accept`; rejects if it exits first or the time runs out. */
export function firstMessage<T>(child: ChildProcess, what: string, timeoutMs: number, accept: (m: unknown) => m is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: no message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: unknown) => {
      if (accept(m)) finish(undefined, m);
    };
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`${what}: exited (code ${code}, signal ${signal}) before answering`));
    const finish = (err?: Error, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
