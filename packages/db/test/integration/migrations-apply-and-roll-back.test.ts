import pg from 'pg';
import { migrate } from '../../src';

// A database of its own, so this test can roll the schema back without touching others.
const adminUrl = process.env.FLOODGATE_PG_SUPERUSER_URL!;
const dbName = `migrate_test_${process.pid}`;
const dbUrl = () => {
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${dbName}`;
  return u.toString();
};

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  const owner = new URL(process.env.DATABASE_URL!).username;
  await sql(adminUrl, `create database ${dbName} owner ${owner}`);
});
afterAll(async () => {
  await sql(adminUrl, `drop database if exists ${dbName} with (force)`);
});

describe('schema migrations', () => {
  it('apply once, are a no-op the second time, and roll back cleanly', async () => {
    const first = await migrate({ databaseUrl: dbUrl() });
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(await migrate({ databaseUrl: dbUrl() })).toEqual([]);
    const tables = await sql<{ tablename: string }>(dbUrl(), `select tablename from pg_tables where schemaname = 'public' order by 1`);
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['devices', 'readings', 'alert_rules', 'alerts', 'alert_transitions', 'api_keys']));
    await migrate({ databaseUrl: dbUrl(), direction: 'down' });
    const left = await sql<{ n: number }>(
      dbUrl(),
      `select count(*)::int as n from pg_tables where schemaname = 'public' and tablename <> 'floodgate_migrations'`,
    );
    expect(left[0]!.n).toBe(0);
  });

  it('keeps monthly reading partitions ready ahead of time and never loses an out-of-range row', async () => {
    await migrate({ databaseUrl: dbUrl() });
    const parts = await sql<{ name: string }>(
      dbUrl(),
      `select inhrelid::regclass::text as name from pg_inherits where inhparent = 'readings'::regclass order by 1`,
    );
    const monthly = parts.filter((p) => /^readings_\d{4}_\d{2}$/.test(p.name));
    expect(monthly.length).toBe(5); // one month back, this month, three ahead
    expect(parts.map((p) => p.name)).toContain('readings_default');
    expect((await sql<{ n: number }>(dbUrl(), 'select floodgate_ensure_reading_partitions() as n'))[0]!.n).toBe(0);
    await sql(dbUrl(), `insert into readings (device_id, event_id, ts, metrics) values ('d1', gen_random_uuid(), '2001-01-01T00:00:00Z', '{}')`);
    const where = await sql<{ part: string }>(dbUrl(), `select tableoid::regclass::text as part from readings where device_id = 'd1'`);
    expect(where[0]!.part).toBe('readings_default');
  });

  it('keys readings by (device_id, ts, event_id), one index that deduplicates and serves history newest first', async () => {
    await migrate({ databaseUrl: dbUrl() });
    const indexes = await sql<{ indexname: string; indexdef: string }>(
      dbUrl(),
      `select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = 'readings'`,
    );
    expect(indexes).toEqual([{ indexname: 'readings_pkey', indexdef: expect.stringContaining('(device_id, ts, event_id)') }]);
    const insert = `insert into readings (device_id, event_id, ts, metrics) values ('d2', '0193b000-0000-7000-8000-000000000001', '2001-01-01T00:00:00Z', '{}')`;
    await sql(dbUrl(), insert);
    await expect(sql(dbUrl(), insert)).rejects.toThrow(/readings_default_pkey|duplicate key/);
  });

  it('allows at most one open alert per device and rule', async () => {
    await migrate({ databaseUrl: dbUrl() });
    const [rule] = await sql<{ id: string }>(
      dbUrl(),
      `insert into alert_rules (name, metric, direction, levels, clear_threshold) values ('r', 'rain_mm_h', 'above', '[{"severity":"warning","threshold":20}]', 10) returning id`,
    );
    const open = `insert into alerts (rule_id, device_id, metric, status, severity, opened_at, last_value, peak_value, last_event_id, last_event_ts)
                  values ($1, 'd1', 'rain_mm_h', 'open', 'warning', now(), 25, 25, gen_random_uuid(), now())`;
    await sql(dbUrl(), open, [rule!.id]);
    await expect(sql(dbUrl(), open, [rule!.id])).rejects.toThrow(/alerts_one_open_per_device_rule/);
  });
});
