/**
 * Probes Kafka, PostgreSQL (primary and replica) and Redis in the background and keeps the
 * results for /healthz and the floodgate_dependency_up gauge. Readiness deliberately does
 * not use them (DESIGN.md corrections): with Kafka down, devices should get 503 + Retry-After
 * from a ready pod rather than connection errors.
 */
import type { Admin } from 'kafkajs';
import type Redis from 'ioredis';
import type pg from 'pg';
import type { ApiMetrics } from './metrics';

export type Dependency = 'kafka' | 'postgres_primary' | 'postgres_replica' | 'redis';

/** What /healthz shows: up or down and when it was checked. Never the error text: /healthz is public, and a
 * connection error names internal hosts and ports. The text goes to the log when a dependency goes down. */
export interface DependencyStatus {
  up: boolean;
  checkedAt: string | null;
}

/** Called when a probe fails after the dependency was up (or on the first failure): for the log. */
export type OnDependencyDown = (dependency: Dependency, error: string) => void;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

export class DependencyMonitor {
  private readonly status = new Map<Dependency, DependencyStatus>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly probes: Record<Dependency, () => Promise<unknown>>,
    private readonly metrics: ApiMetrics,
    private readonly intervalMs: number,
    private readonly onDown: OnDependencyDown = () => undefined,
  ) {
    for (const name of Object.keys(probes) as Dependency[]) this.status.set(name, { up: false, checkedAt: null });
  }

  static probesFor(deps: { admin: Admin; primary: pg.Pool; replica: pg.Pool; redis: Redis }): Record<Dependency, () => Promise<unknown>> {
    return {
      kafka: () => deps.admin.describeCluster(),
      postgres_primary: () => deps.primary.query('SELECT 1'),
      postgres_replica: () => deps.replica.query('SELECT 1'),
      redis: () => deps.redis.ping(),
    };
  }

  start(): void {
    this.running = this.probeAll();
    this.timer = setInterval(() => {
      this.running = this.probeAll();
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  snapshot(): Record<string, DependencyStatus> {
    return Object.fromEntries(this.status);
  }

  async probeAll(): Promise<void> {
    await Promise.all(
      (Object.entries(this.probes) as [Dependency, () => Promise<unknown>][]).map(async ([name, probe]) => {
        try {
          await withTimeout(probe(), Math.min(this.intervalMs, 3000));
          this.status.set(name, { up: true, checkedAt: new Date().toISOString() });
          this.metrics.dependencyUp.set({ dependency: name }, 1);
        } catch (err) {
          const before = this.status.get(name);
          const wentDown = !before || before.up || before.checkedAt === null; // log the transition, not every probe
          this.status.set(name, { up: false, checkedAt: new Date().toISOString() });
          this.metrics.dependencyUp.set({ dependency: name }, 0);
          if (wentDown) this.onDown(name, (err as Error).message.slice(0, 200));
        }
      }),
    );
  }
}
