import crypto from 'node:crypto';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createLogger } from '@floodgate/config';
import { registerOpenAlertsGauge } from '../../src/open-alerts-gauge';
import { createTestDatabase, sql, type TestDatabase } from '../support/worker-fixture';

let db: TestDatabase;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await createTestDatabase('open_alerts_gauge');
}, 60000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await db?.drop();
});

/** A worker replica's view: its own registry and pool, as each process has. */
function replica() {
  const registry = new Registry();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pools.push(pool);
  registerOpenAlertsGauge(registry, pool, createLogger('test', 'silent'), { maxAgeMs: 0 });
  return async () => {
    const metric = await registry.getSingleMetric('floodgate_alerts_open')!.get();
    return Object.fromEntries(metric.values.map((v) => [`${v.labels.metric}/${v.labels.severity}`, v.value]));
  };
}

async function openAlert(ruleName: string, severity: string, status: 'open' | 'resolved' = 'open'): Promise<string> {
  const [row] = await sql<{ id: string }>(
    db.url,
    `INSERT INTO alerts (rule_id, device_id, metric, status, severity, opened_at, resolved_at, last_value, peak_value, last_event_id, last_event_ts)
     SELECT id, $2, metric, $3, $4, now(), CASE WHEN $3 = 'resolved' THEN now() END, 1, 1, $5, now() FROM alert_rules WHERE name = $1
     RETURNING id`,
    [ruleName, `device-${crypto.randomBytes(4).toString('hex')}`, status, severity, crypto.randomUUID()],
  );
  return row!.id;
}

describe('floodgate_alerts_open', () => {
  it('reports a zero for every level of every enabled rule when nothing is open', async () => {
    const scrape = replica();
    expect(await scrape()).toEqual({
      'rain_mm_h/info': 0,
      'rain_mm_h/warning': 0,
      'rain_mm_h/critical': 0,
      'soil_moisture_pct/info': 0,
      'soil_moisture_pct/warning': 0,
      'soil_moisture_pct/critical': 0,
      'tilt_deg/warning': 0,
      'tilt_deg/critical': 0,
      'river_level_m/info': 0,
      'river_level_m/warning': 0,
      'river_level_m/critical': 0,
    });
  });

  it('counts the open alerts in the table by metric and severity, the same from every replica, and follows resolves', async () => {
    const first = replica();
    const second = replica();
    const a = await openAlert('rainfall-intensity', 'critical');
    await openAlert('rainfall-intensity', 'critical');
    await openAlert('rainfall-intensity', 'warning');
    await openAlert('slope-tilt', 'warning');
    await openAlert('slope-tilt', 'critical', 'resolved');

    const seen = await first();
    expect(seen).toMatchObject({ 'rain_mm_h/critical': 2, 'rain_mm_h/warning': 1, 'rain_mm_h/info': 0, 'tilt_deg/warning': 1, 'tilt_deg/critical': 0 });
    // Two processes, one truth: summing them would double it, which is why the rules and dashboards take the max.
    expect(await second()).toEqual(seen);

    await sql(db.url, `UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE id = $1`, [a]);
    expect(await first()).toMatchObject({ 'rain_mm_h/critical': 1 });
  });

  it('keeps counting open alerts of a disabled rule, and uses only bounded labels', async () => {
    await sql(db.url, `UPDATE alert_rules SET enabled = false WHERE name = 'river-stage'`);
    await openAlert('river-stage', 'info');
    const scrape = replica();
    const values = await scrape();
    expect(values['river_level_m/info']).toBe(1);
    expect(values['river_level_m/critical']).toBeUndefined(); // a disabled rule's empty levels are not reported
    const registry = new Registry();
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    pools.push(pool);
    registerOpenAlertsGauge(registry, pool, createLogger('test', 'silent'));
    const text = await registry.metrics();
    const labelNames = new Set([...text.matchAll(/^floodgate_alerts_open\{([^}]*)\}/gm)].flatMap((m) => m[1]!.split(',').map((kv) => kv.split('=')[0])));
    expect([...labelNames].sort()).toEqual(['metric', 'severity']);
    expect(text).not.toContain('device-');
  });

  it('has no samples while PostgreSQL cannot be reached, rather than a stale count', async () => {
    const registry = new Registry();
    const u = new URL(db.url);
    u.password = 'wrong-password';
    const pool = new pg.Pool({ connectionString: u.toString(), max: 1 });
    pools.push(pool);
    const warnings: string[] = [];
    const log = createLogger('test', 'silent');
    log.warn = ((obj: { err: string }) => warnings.push(obj.err)) as never;
    registerOpenAlertsGauge(registry, pool, log, { maxAgeMs: 0 });
    const metric = await registry.getSingleMetric('floodgate_alerts_open')!.get();
    expect(metric.values).toEqual([]);
    expect(warnings.join()).toMatch(/password authentication failed/);
  });
});
