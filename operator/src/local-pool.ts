/**
 * The local target: the same decision function that scales a Deployment, driving a pool of local
 * worker processes instead (for `make demo` without a cluster). The pool spawns copies of one
 * command, stops the newest first with SIGTERM (SIGKILL after a grace period), and forgets a
 * process that exits on its own, so the next poll starts a replacement.
 */
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@floodgate/config';
import { decideReplicas, emptyHistory, type Decision, type DecisionHistory, type ScalerSpec } from './decide-replicas';
import type { LagReader, OffsetResetPolicy } from './lag-reader';

export interface LocalPoolOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stopGraceMs: number;
  /** When set, replica in slot i gets HTTP_PORT = base + i, so their health/metrics ports differ. */
  httpPortBase?: number;
  /** Append the replicas' output to this file instead of the pool's own stdout/stderr. */
  logFile?: string;
  log: Logger;
}

interface Member {
  slot: number;
  child: ChildProcess;
  exited: Promise<void>;
}

export class LocalPool {
  private readonly members: Member[] = [];

  constructor(private readonly opts: LocalPoolOptions) {}

  get size(): number {
    return this.members.length;
  }

  /** PIDs of the running replicas, oldest first. */
  get pids(): number[] {
    return this.members.map((m) => m.child.pid!).filter(Boolean);
  }

  async scaleTo(replicas: number): Promise<void> {
    while (this.members.length < replicas) this.spawnOne();
    const surplus = this.members.splice(replicas).reverse();
    await Promise.all(surplus.map((m) => this.stopOne(m)));
  }

  async stop(): Promise<void> {
    await this.scaleTo(0);
  }

  private spawnOne(): void {
    const used = new Set(this.members.map((m) => m.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, LOCAL_POOL_SLOT: String(slot) };
    if (this.opts.httpPortBase !== undefined) env.HTTP_PORT = String(this.opts.httpPortBase + slot);
    // Its own process group, so a stop reaches what the command itself starts (npx, tsx, node).
    const out = this.opts.logFile ? fs.openSync(this.opts.logFile, 'a') : 'inherit';
    const child = spawn(this.opts.command, this.opts.args, { env, cwd: this.opts.cwd, stdio: ['ignore', out, out], detached: true });
    if (typeof out === 'number') fs.closeSync(out);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const member: Member = { slot, child, exited };
    child.once('error', (err) => this.opts.log.error({ slot, err: err.message }, 'local worker could not start'));
    child.once('exit', (code, signal) => {
      const i = this.members.indexOf(member);
      if (i >= 0) {
        // Exited on its own: forget it, the next decision starts a replacement.
        this.members.splice(i, 1);
        this.opts.log.warn({ slot, pid: child.pid, code, signal }, 'local worker exited');
      }
    });
    this.members.push(member);
    this.opts.log.info({ slot, pid: child.pid }, 'local worker started');
  }

  private async stopOne(m: Member): Promise<void> {
    if (m.child.exitCode !== null || m.child.signalCode !== null) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-m.child.pid!, sig);
      } catch {
        m.child.kill(sig);
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => {
      this.opts.log.warn({ slot: m.slot, pid: m.child.pid }, `local worker ignored SIGTERM for ${this.opts.stopGraceMs} ms; killing it`);
      signal('SIGKILL');
    }, this.opts.stopGraceMs);
    await m.exited;
    clearTimeout(timer);
    this.opts.log.info({ slot: m.slot, pid: m.child.pid }, 'local worker stopped');
  }
}

export interface LocalScalerOptions {
  pool: LocalPool;
  reader: LagReader;
  group: string;
  topics: string[];
  offsetResetPolicy: OffsetResetPolicy;
  spec: ScalerSpec;
  pollingIntervalSeconds: number;
  log: Logger;
  clock?: () => number;
  onDecision?: (d: Decision) => void;
}

/** Polls the lag, decides, and resizes the pool; returns a function that stops it (and the pool). */
export function runLocalScaler(opts: LocalScalerOptions): { stop: () => Promise<void> } {
  const clock = opts.clock ?? Date.now;
  let history: DecisionHistory = emptyHistory();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    running = (async () => {
      try {
        const m = await opts.reader.read(opts.group, opts.topics, opts.offsetResetPolicy);
        const d = decideReplicas({ measurement: m, currentReplicas: opts.pool.size, spec: opts.spec, history, now: clock() });
        history = d.history;
        if (d.desiredReplicas !== opts.pool.size) {
          opts.log.info({ from: opts.pool.size, to: d.desiredReplicas, reason: d.reason }, 'scaling the local pool');
          await opts.pool.scaleTo(d.desiredReplicas);
        }
        opts.onDecision?.(d);
      } catch (err) {
        opts.log.warn({ err: (err as Error).message }, 'local scaler poll failed; retrying next interval');
      }
    })().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(tick, opts.pollingIntervalSeconds * 1000);
    });
  };
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
      await opts.pool.stop();
      await opts.reader.close();
    },
  };
}
