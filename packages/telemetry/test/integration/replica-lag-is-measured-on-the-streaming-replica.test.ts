import pg from 'pg';
import { Registry } from 'prom-client';
import { stackEnv, up } from '@floodgate/devstack';
import { readReplicaLag, registerReplicaLagGauge } from '../../src/replica-lag';

const pools: pg.Pool[] = [];
const pool = (url: string) => {
  const p = new pg.Pool({ connectionString: url, max: 2 });
  pools.push(p);
  return p;
};
/** The replica as a superuser (pausing replay needs it): the superuser URL with the replica's host and port. */
const replicaSuperuserUrl = () => {
  const su = new URL(process.env.FLOODGATE_PG_SUPERUSER_URL!);
  const replica = new URL(process.env.DATABASE_READ_URL!);
  su.host = replica.host;
  return su.toString();
};

async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['postgres'] });
  Object.assign(process.env, stackEnv(stack));
  if (!process.env.DATABASE_READ_URL || process.env.DATABASE_READ_URL === process.env.DATABASE_URL) throw new Error('the stack has no read replica');
}, 120000);

afterAll(async () => {
  // Never leave the shared replica paused, whatever failed.
  const su = new pg.Client({ connectionString: replicaSuperuserUrl() });
  await su.connect();
  await su.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
  await su.end();
  await Promise.all(pools.map((p) => p.end()));
});

describe('floodgate_db_replica_lag_seconds', () => {
  it('is 0 for the local streaming replica once it has replayed what the primary wrote', async () => {
    await pool(process.env.DATABASE_URL!).query('SELECT txid_current()'); // a commit to replay
    expect(
      await eventually(
        'replica lag',
        () => readReplicaLag(pool(process.env.DATABASE_READ_URL!)),
        (v) => v === 0,
      ),
    ).toBe(0);
  });

  it('has no sample when the pool reaches the primary: no replica is not the same as no lag', async () => {
    const registry = new Registry();
    registerReplicaLagGauge(registry, pool(process.env.DATABASE_URL!));
    expect((await registry.getSingleMetric('floodgate_db_replica_lag_seconds')!.get()).values).toEqual([]);
  });

  it('grows while the replica does not replay what the primary writes, and returns to 0 when it catches up', async () => {
    const registry = new Registry();
    registerReplicaLagGauge(registry, pool(process.env.DATABASE_READ_URL!), { maxAgeMs: 0 });
    const lag = async () => (await registry.getSingleMetric('floodgate_db_replica_lag_seconds')!.get()).values[0]?.value;
    const primary = pool(process.env.DATABASE_URL!);
    await primary.query('SELECT txid_current()');
    await eventually('caught up', lag, (v) => v === 0);

    const su = new pg.Client({ connectionString: replicaSuperuserUrl() });
    await su.connect();
    try {
      await su.query('SELECT pg_wal_replay_pause()');
      await primary.query('SELECT txid_current()'); // received by the replica, not replayed
      const behind = (await eventually('lag while replay is paused', lag, (v) => v !== undefined && v > 0))!;
      // The age of the last replayed commit: it keeps growing for as long as replay stays paused.
      await eventually('growing lag', lag, (v) => v !== undefined && v > behind);
    } finally {
      await su.query('SELECT pg_wal_replay_resume()');
      await su.end();
    }
    expect(await eventually('caught up again', lag, (v) => v === 0)).toBe(0);
  });
});
