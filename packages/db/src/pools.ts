/**
 * The two connection pools every service needs: the primary (all writes) and a read
 * replica (reads that can be a little stale). Created once at start-up and passed in.
 */
import pg from 'pg';

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
}

export function createPools(cfg: PoolSettings, applicationName: string): Pools {
  const make = (url: string, role: string) => {
    const pool = new pg.Pool({
      connectionString: url,
      max: cfg.DATABASE_POOL_MAX,
      application_name: `${applicationName}-${role}`,
      statement_timeout: cfg.DATABASE_STATEMENT_TIMEOUT_MS || undefined,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
    });
    // An idle client losing its connection (a database restart) must not crash the process;
    // the pool drops it and the next query gets a fresh connection.
    pool.on('error', () => undefined);
    return pool;
  };
  const primary = make(cfg.DATABASE_URL, 'rw');
  const replica = cfg.DATABASE_READ_URL && cfg.DATABASE_READ_URL !== cfg.DATABASE_URL ? make(cfg.DATABASE_READ_URL, 'ro') : primary;
  return {
    primary,
    replica,
    async end() {
      await primary.end();
      if (replica !== primary) await replica.end();
    },
  };
}
