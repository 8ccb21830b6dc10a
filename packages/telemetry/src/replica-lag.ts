/**
 * `floodgate_db_replica_lag_seconds`: how far behind the primary the read replica a service reads from is, measured
 * on that replica (a standby answers `pg_last_xact_replay_timestamp()` to any user, unlike the primary's
 * pg_stat_replication, which needs pg_monitor). The same measure as CloudNativePG's `cnpg_pg_replication_lag`, so
 * FloodgateReplicaLagHigh works where that exporter is not scraped (the local stack, a managed PostgreSQL):
 * - 0 while the standby streams and has replayed all it received (an idle primary writes nothing new, and
 *   "now - last replayed commit" alone would grow without any lag);
 * - otherwise the age of the last replayed commit;
 * - no sample when the pool does not reach a standby (reads go to the primary, or the replica is down and
 *   the read pool fell back): "no replica" must not read as "no lag". The replica's reachability is
 *   `floodgate_dependency_up{dependency="replica"}`.
 */
import type { Registry } from 'prom-client';
import { registerQueryGauge, type QueryGauge } from './query-gauge';

/** The part of a pg.Pool this needs. `connect()` rather than `query()`, so a fallback pool never answers for the replica. */
export interface StandbyPool {
  connect(): Promise<{ query(sql: string): Promise<{ rows: Record<string, unknown>[] }>; release(err?: Error | boolean): void }>;
}

export const replicaLagQuery = `
SELECT pg_is_in_recovery() AS standby,
       CASE
         WHEN NOT pg_is_in_recovery() THEN NULL
         WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
         ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()))
       END::float8 AS lag_seconds`;

/** The replica's lag in seconds, or undefined when `pool` does not reach a standby (or it cannot tell yet). */
export async function readReplicaLag(pool: StandbyPool): Promise<number | undefined> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query(replicaLagQuery);
    const lag = rows[0]?.lag_seconds;
    return typeof lag === 'number' && Number.isFinite(lag) ? lag : undefined;
  } finally {
    client.release();
  }
}

export interface ReplicaLagGaugeOptions {
  maxAgeMs?: number;
  timeoutMs?: number;
  onError?: (err: Error) => void;
}

export function registerReplicaLagGauge(registry: Registry, pool: StandbyPool, options: ReplicaLagGaugeOptions = {}): QueryGauge {
  return registerQueryGauge({
    registry,
    name: 'floodgate_db_replica_lag_seconds',
    help: 'Replay lag of the PostgreSQL read replica this process reads from, measured on the replica (0 when caught up; absent when reads go to a primary)',
    read: async () => {
      const lag = await readReplicaLag(pool);
      return lag === undefined ? [] : [{ labels: {}, value: lag }];
    },
    ...options,
  });
}
