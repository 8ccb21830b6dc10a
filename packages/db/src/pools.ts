/**
 * The two connection pools every service needs: the primary (all writes) and a read
 * replica (reads that can be a little stale). Created once at start-up and passed in.
 * When the replica cannot be reached, reads go to the primary (DATABASE_READ_FALLBACK=
 * primary, the default) or fail as "unavailable" (none), which the API answers with 503.
 */
import pg from 'pg';
import { isDatabaseUnavailable } from './unavailable';

/** A pool whose promise-style `query` retries on another pool when this one cannot be reached. */
class FallbackPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly fallback: pg.Pool,
    private readonly onFallback: (err: unknown) => void,
  ) {
    super(config);
  }

  // Only the promise forms are used in this project; a callback form is passed through unchanged.
  override query(...args: unknown[]): never {
    if (typeof args.at(-1) === 'function') return (super.query as (...a: unknown[]) => never)(...args);
    return (super.query as (...a: unknown[]) => Promise<unknown>)(...args).catch((err: unknown) => {
      if (!isDatabaseUnavailable(err)) throw err;
      this.onFallback(err);
      return (this.fallback.query as (...a: unknown[]) => Promise<unknown>)(...args);
    }) as never;
  }
}

export interface Pools {
  primary: pg.Pool;
  replica: pg.Pool;
  end(): Promise<void>;
}

export interface PoolSettings {
  DATABASE_URL: string;
  DATABASE_READ_URL?: string | undefined;
  DATABASE_POOL_MAX: number;
  DATABASE_STATEMENT_TIMEOUT_MS: number;
  DATABASE_READ_FALLBACK?: 'primary' | 'none';
}

export interface PoolOptions {
  /** Called each time a read fell back to the primary (for a metric). */
  onReplicaFallback?: (err: unknown) => void;
}

export function createPools(cfg: PoolSettings, applicationName: string, opts: PoolOptions = {}): Pools {
  const config = (url: string, role: string): pg.PoolConfig => ({
    connectionString: url,
    max: cfg.DATABASE_POOL_MAX,
    application_name: `${applicationName}-${role}`,
    statement_timeout: cfg.DATABASE_STATEMENT_TIMEOUT_MS || undefined,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
  });
  const make = (pool: pg.Pool) => {
    // An idle client losing its connection (a database restart) must not crash the process;
    // the pool drops it and the next query gets a fresh connection.
    pool.on('error', () => undefined);
    // pg-pool listens for a client's errors only while it is idle. A checked-out client (a worker transaction,
    // a COPY) whose connection dies emits 'error' with nobody listening, and that crashes the process. The query
    // under way fails with the same error, the caller releases the client with it, and the pool drops it.
    pool.on('connect', (client) => client.on('error', () => undefined));
    return pool;
  };
  const primary = make(new pg.Pool(config(cfg.DATABASE_URL, 'rw')));
  const separate = cfg.DATABASE_READ_URL && cfg.DATABASE_READ_URL !== cfg.DATABASE_URL;
  const replica = !separate
    ? primary
    : (cfg.DATABASE_READ_FALLBACK ?? 'primary') === 'primary'
      ? make(new FallbackPool(config(cfg.DATABASE_READ_URL!, 'ro'), primary, opts.onReplicaFallback ?? (() => undefined)))
      : make(new pg.Pool(config(cfg.DATABASE_READ_URL!, 'ro')));
  return {
    primary,
    replica,
    async end() {
      await primary.end();
      if (replica !== primary) await replica.end();
    },
  };
}
