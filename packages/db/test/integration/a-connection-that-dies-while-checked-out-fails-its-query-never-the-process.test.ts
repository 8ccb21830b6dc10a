import pg from 'pg';
import { createPools, isDatabaseUnavailable } from '../../src';

// The stack's PostgreSQL: the test ends only its own backend (pg_terminate_backend), as a database restart would.
const settings = {
  DATABASE_URL: process.env.DATABASE_URL!,
  DATABASE_POOL_MAX: 2,
  DATABASE_STATEMENT_TIMEOUT_MS: 5000,
};

async function terminate(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.FLOODGATE_PG_SUPERUSER_URL });
  await admin.connect();
  try {
    await admin.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

test('a checked-out client whose connection dies between queries: an error for its next query, the pool goes on', async () => {
  const pools = createPools(settings, 'checked-out-test');
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const client = await pools.primary.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const ended = new Promise((resolve) => client.once('end', resolve));
    await terminate(rows[0]!.pid);
    await ended; // the socket closed while the client was checked out and idle: pg emits 'error' on it

    const err = await client.query('select 1').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/not queryable|Connection terminated/);
    client.release(err);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);

    // The pool replaced the dead connection.
    expect((await pools.primary.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
    await pools.end();
  }
});

test('a connection that dies during a query fails that query with a database-unavailable error', async () => {
  const pools = createPools(settings, 'checked-out-test');
  try {
    const client = await pools.primary.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const sleeping = client.query('select pg_sleep(10)').then(
      () => undefined,
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 200));
    await terminate(rows[0]!.pid);
    const err = await sleeping;
    expect(err).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(err)).toBe(true);
    client.release(err);
    expect((await pools.primary.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
  } finally {
    await pools.end();
  }
});
