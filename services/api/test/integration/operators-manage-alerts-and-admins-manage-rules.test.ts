import crypto from 'node:crypto';
import { bearer, startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { pools, untilReplicaHas } from '../support/database';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let db: ReturnType<typeof pools>;
let admin: string;
let operator: string;
let viewer: string;

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest();
  db = pools();
  admin = await api.token('alice', 'admin');
  operator = await api.token('oscar', 'operator');
  viewer = await api.token('vera', 'viewer');
});

afterAll(async () => {
  await api?.shutdown();
  await db?.primary.end();
  await db?.replica.end();
});

const call = async (method: string, path: string, token: string, body?: unknown) => {
  const res = await fetch(`${api.url}${path}`, { method, headers: bearer(token), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const rule = (name: string) => ({
  name,
  metric: 'river_level_m',
  direction: 'above',
  levels: [
    { severity: 'warning', threshold: 3 },
    { severity: 'critical', threshold: 4 },
  ],
  clearThreshold: 2.5,
  deviceSelector: 'river-*',
  source: 'local flood plan, gauge 7',
});

describe('/v1/alert-rules', () => {
  it('lets an admin create, replace, read and delete a rule', async () => {
    const id = crypto.randomUUID();
    const name = `river-level-${id.slice(0, 8)}`;
    const created = await call('PUT', `/v1/alert-rules/${id}`, admin, rule(name));
    expect(created.status).toBe(201);
    expect(created.body).toEqual(expect.objectContaining({ id, name, clearThreshold: 2.5, enabled: true, deviceSelector: 'river-*' }));

    const replaced = await call('PUT', `/v1/alert-rules/${id}`, admin, { ...rule(name), enabled: false, clearThreshold: 2 });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual(expect.objectContaining({ enabled: false, clearThreshold: 2 }));

    expect((await call('GET', `/v1/alert-rules/${id}`, viewer)).body.clearThreshold).toBe(2);
    expect((await call('GET', '/v1/alert-rules', viewer)).body.rules.map((r: { id: string }) => r.id)).toContain(id);
    expect((await call('DELETE', `/v1/alert-rules/${id}`, admin)).status).toBe(204);
    expect((await call('GET', `/v1/alert-rules/${id}`, viewer)).status).toBe(404);
    expect((await call('DELETE', `/v1/alert-rules/${id}`, admin)).status).toBe(404);
  });

  it('refuses inconsistent rules with 400 naming the field, and a taken name with 409', async () => {
    const bad = await call('PUT', `/v1/alert-rules/${crypto.randomUUID()}`, admin, { ...rule('x'), clearThreshold: 3.5 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ pointer: '/clearThreshold' })]);
    const twice = await call('PUT', `/v1/alert-rules/${crypto.randomUUID()}`, admin, {
      ...rule('y'),
      levels: [
        { severity: 'warning', threshold: 3 },
        { severity: 'warning', threshold: 4 },
      ],
    });
    expect(twice.status).toBe(400);
    const name = `dup-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call('PUT', `/v1/alert-rules/${crypto.randomUUID()}`, admin, rule(name))).status).toBe(201);
    const taken = await call('PUT', `/v1/alert-rules/${crypto.randomUUID()}`, admin, rule(name));
    expect(taken.status).toBe(409);
    expect(taken.body.type).toBe('https://floodgate.dev/problems/conflict');
  });

  it('only admins write rules', async () => {
    expect((await call('PUT', `/v1/alert-rules/${crypto.randomUUID()}`, operator, rule('z'))).status).toBe(403);
  });
});

describe('/v1/alerts', () => {
  it('lists alerts with filters and a cursor, and lets an operator acknowledge one (idempotently, with a transition)', async () => {
    const ruleId = crypto.randomUUID();
    expect((await call('PUT', `/v1/alert-rules/${ruleId}`, admin, rule(`alerts-${ruleId.slice(0, 8)}`))).status).toBe(201);
    const deviceId = uniqueDevice('river');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { rows } = await db.primary.query<{ id: string }>(
        `INSERT INTO alerts (rule_id, device_id, metric, status, severity, opened_at, resolved_at, last_value, peak_value, last_event_id, last_event_ts)
         VALUES ($1, $2, 'river_level_m', $3, $4, $5, $6, 3.5, 4.2, $7, $5) RETURNING id`,
        [
          ruleId,
          deviceId,
          i === 2 ? 'open' : 'resolved',
          i === 2 ? 'critical' : 'warning',
          `2026-11-23T0${i}:00:00Z`,
          i === 2 ? null : `2026-11-23T0${i}:30:00Z`,
          crypto.randomUUID(),
        ],
      );
      ids.push(rows[0]!.id);
    }
    await untilReplicaHas(db.replica, 'SELECT 1 FROM alerts WHERE id = $1', [ids[2]]);

    const page1 = await call('GET', `/v1/alerts?deviceId=${deviceId}&limit=2`, viewer);
    expect(page1.status).toBe(200);
    expect(page1.body.alerts.map((a: { id: string }) => a.id)).toEqual([ids[2], ids[1]]);
    const page2 = await call('GET', `/v1/alerts?deviceId=${deviceId}&limit=2&cursor=${page1.body.nextCursor}`, viewer);
    expect(page2.body.alerts.map((a: { id: string }) => a.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();
    const open = await call('GET', `/v1/alerts?deviceId=${deviceId}&status=open&severity=critical`, viewer);
    expect(open.body.alerts.map((a: { id: string }) => a.id)).toEqual([ids[2]]);
    expect((await call('GET', `/v1/alerts?status=closed`, viewer)).status).toBe(400);

    expect((await call('POST', `/v1/alerts/${ids[2]}/ack`, viewer)).status).toBe(403);
    const acked = await call('POST', `/v1/alerts/${ids[2]}/ack`, operator);
    expect(acked.status).toBe(200);
    expect(acked.body).toEqual(expect.objectContaining({ id: ids[2], acknowledgedBy: 'operator:oscar' }));
    const again = await call('POST', `/v1/alerts/${ids[2]}/ack`, admin);
    expect(again.body.acknowledgedAt).toBe(acked.body.acknowledgedAt);
    expect(again.body.acknowledgedBy).toBe('operator:oscar');
    const transitions = await db.primary.query(`SELECT kind FROM alert_transitions WHERE alert_id = $1`, [ids[2]]);
    expect(transitions.rows).toEqual([{ kind: 'acknowledged' }]);

    expect((await call('POST', `/v1/alerts/${crypto.randomUUID()}/ack`, operator)).status).toBe(404);
    expect((await call('POST', `/v1/alerts/not-a-uuid/ack`, operator)).status).toBe(400);
  });
});

describe('POST /v1/predictions', () => {
  it('rates sustained heavy rain above the published threshold as high risk, a drizzle as low, no data as unknown', async () => {
    const asOf = '2026-11-23T12:00:00Z';
    const storm = uniqueDevice('storm');
    const drizzle = uniqueDevice('drizzle');
    const values = (device: string, mmH: number) =>
      db.primary.query(
        `INSERT INTO readings (device_id, event_id, ts, metrics) SELECT $1, gen_random_uuid(), $2::timestamptz - make_interval(mins => m * 10), jsonb_build_object('rain_mm_h', $3::float8)
         FROM generate_series(0, 36) AS m`,
        [device, asOf, mmH],
      );
    await values(storm, 20);
    await values(drizzle, 0.2);
    await untilReplicaHas(db.replica, 'SELECT 1 FROM readings WHERE device_id = $1 HAVING count(*) = 37', [drizzle]);
    await untilReplicaHas(db.replica, 'SELECT 1 FROM readings WHERE device_id = $1 HAVING count(*) = 37', [storm]);

    const high = await call('POST', '/v1/predictions', viewer, { deviceId: storm, asOf });
    expect(high.status).toBe(200);
    expect(high.body.model.id).toBe('guzzetti-2008');
    expect(high.body.risk).toBe('very-high');
    // Readings every 10 min for 6 h at 20 mm/h: 120 mm in the last 6 h, against I = 2.20 * 6^-0.44
    const sixHours = high.body.durations.find((d: { hours: number }) => d.hours === 6);
    expect(sixHours.rainfallMm).toBeCloseTo(120, 6);
    expect(sixHours.thresholdMmH).toBeCloseTo(2.2 * Math.pow(6, -0.44), 6);

    const low = await call('POST', '/v1/predictions', viewer, { deviceId: drizzle, asOf, model: 'caine-1980' });
    expect(low.body.risk).toBe('low');
    expect((await call('POST', '/v1/predictions', viewer, { deviceId: uniqueDevice('dry'), asOf })).body.risk).toBe('unknown');
    expect((await call('POST', '/v1/predictions', viewer, { deviceId: storm, model: 'astrology' })).status).toBe(400);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
