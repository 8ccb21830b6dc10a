import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { down, postgresUrl, startPostgresMember, stopPostgresMember, up, updateServer, type PostgresState } from '@floodgate/devstack';
import { createPools, isDatabaseUnavailable } from '../../src';

// A PostgreSQL pair of its own: the test stops its replica.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-fallback-'));
fs.chmodSync(dir, 0o755);
let state: PostgresState;

beforeAll(async () => {
  state = (await up({ dir, servers: ['postgres'] })).servers.postgres as PostgresState;
});
afterAll(async () => {
  await down({ dir });
  fs.rmSync(dir, { recursive: true, force: true });
});

const settings = (fallback: 'primary' | 'none') => ({
  DATABASE_URL: postgresUrl(state, 'primary'),
  DATABASE_READ_URL: postgresUrl(state, 'replica'),
  DATABASE_POOL_MAX: 2,
  DATABASE_STATEMENT_TIMEOUT_MS: 5000,
  DATABASE_READ_FALLBACK: fallback,
});

test('reads go to the replica while it is up, to the primary while it is down (fallback: primary), and back', async () => {
  const fallbacks: unknown[] = [];
  const pools = createPools(settings('primary'), 'fallback-test', { onReplicaFallback: (err) => fallbacks.push(err) });
  const role = async () => (await pools.replica.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r;
  try {
    expect(await role()).toBe(true); // the replica answers
    await updateServer<PostgresState>('postgres', async (s) => (await stopPostgresMember(s, 'replica'), s), { dir });
    expect(await role()).toBe(false); // the primary answered instead
    expect(fallbacks.length).toBeGreaterThan(0);
    expect(isDatabaseUnavailable(fallbacks[0])).toBe(true);
    state = await updateServer<PostgresState>('postgres', (s) => startPostgresMember(s, 'replica'), { dir });
    let back = false;
    for (let i = 0; i < 50 && !back; i++) back = await role().catch(() => false);
    expect(back).toBe(true);
  } finally {
    await pools.end();
  }
});

test('with fallback none, a read while the replica is down fails as "unavailable", and other errors are not mistaken for it', async () => {
  const pools = createPools(settings('none'), 'fallback-test');
  try {
    const notFound = await pools.replica.query('select nonsense_column from devices_that_do_not_exist').catch((e: unknown) => e);
    expect((notFound as { code?: string }).code).toBe('42P01');
    expect(isDatabaseUnavailable(notFound)).toBe(false);
    await updateServer<PostgresState>('postgres', async (s) => (await stopPostgresMember(s, 'replica'), s), { dir });
    const err = await pools.replica.query('select 1').catch((e: unknown) => e);
    expect(isDatabaseUnavailable(err)).toBe(true);
  } finally {
    state = await updateServer<PostgresState>('postgres', (s) => startPostgresMember(s, 'replica'), { dir });
    await pools.end();
  }
});
