/**
 * OWASP API1:2023, broken object level authorization. Floodgate's objects are a device's events, state and
 * readings, and the alerts raised on them. DESIGN.md ("HTTP API") says who may touch which:
 * - a `device` writes only events whose deviceId equals its token's (or API key's) subject, alone or in a batch,
 *   and a batch with one foreign event is refused whole;
 * - a `gateway` writes for many devices;
 * - state, readings, alerts and predictions are read by `viewer`, `operator` and `admin`, never by a `device` or
 *   a `gateway` (not even their own: they are writers);
 * - only `operator` and `admin` acknowledge alerts.
 * The design has no tenants: every reader may read every device, so there is no cross-tenant case to test.
 * The API here runs on topics of its own, so "nothing was produced" is read from Kafka, not assumed.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { createApiKey } from '../../src/auth/api-keys';
import { startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { insertDevice, insertReadings, untilReplicaHas } from '../support/database';
import { call, expectProblem } from '../support/http-calls';
import { createIsolatedTopics, readAll } from '../support/kafka-topics';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let topics: Awaited<ReturnType<typeof createIsolatedTopics>>;
let primary: pg.Pool;
let replica: pg.Pool;
const deviceA = uniqueDevice('slope-a');
const deviceB = uniqueDevice('slope-b');
let tokenA: string;
let viewer: string;
let admin: string;
const ts = () => new Date().toISOString();
const event = (deviceId: string, extra: Record<string, unknown> = {}) => ({ deviceId, ts: ts(), metrics: { rain_mm_h: 3 }, ...extra });

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  topics = await createIsolatedTopics('owasp-api1');
  api = await startApiUnderTest({ KAFKA_TOPIC_PREFIX: topics.prefix, RATE_LIMIT_PER_MINUTE: '100000' });
  primary = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  replica = new pg.Pool({ connectionString: process.env.DATABASE_READ_URL ?? process.env.DATABASE_URL, max: 2 });
  tokenA = await api.token(deviceA, 'device');
  viewer = await api.token('vera', 'viewer');
  admin = await api.token('alice', 'admin');
  // Device B has state, readings and an open alert, so a refused read is refused for B's data, not for missing data.
  const lastEvent = crypto.randomUUID();
  await insertDevice(primary, deviceB, lastEvent, '2026-11-23T10:00:00Z', { rain_mm_h: 7 });
  await insertReadings(primary, deviceB, [{ eventId: lastEvent, ts: '2026-11-23T10:00:00Z', metrics: { rain_mm_h: 7 } }]);
  await untilReplicaHas(replica, 'SELECT 1 FROM readings WHERE device_id = $1', [deviceB]);
  await untilReplicaHas(replica, 'SELECT 1 FROM devices WHERE device_id = $1', [deviceB]);
}, 120_000);

afterAll(async () => {
  await api?.shutdown();
  await primary?.end();
  await replica?.end();
  await topics?.remove();
});

describe('writing events', () => {
  it("refuses device A's single event for device B, and A's batch that hides one event for B, producing nothing of either", async () => {
    const single = await call(api.url, 'POST', '/v1/events', { token: tokenA, body: event(deviceB) });
    expect(expectProblem(single, 403, 'forbidden').detail).toMatch(/only write its own deviceId/);

    const batch = await call(api.url, 'POST', '/v1/events', { token: tokenA, body: { events: [event(deviceA), event(deviceB), event(deviceA)] } });
    const problem = expectProblem(batch, 403, 'forbidden');
    expect(problem.errors).toEqual([expect.objectContaining({ index: 1, pointer: '/deviceId' })]);

    // The same id in another case, or with a suffix, is another device.
    for (const lookalike of [deviceA.toUpperCase(), `${deviceA}.1`, `${deviceA}:x`]) {
      expectProblem(await call(api.url, 'POST', '/v1/events', { token: tokenA, body: event(lookalike) }), 403, 'forbidden');
    }

    // Control: A's own event is accepted. Everything above was answered before it, so Kafka holds only it.
    const own = await call(api.url, 'POST', '/v1/events', { token: tokenA, body: event(deviceA, { payload: { marker: 'own' } }) });
    expect(own.status).toBe(202);
    const produced = await readAll(topics.events);
    expect(produced.map((m) => m.key)).toEqual([deviceA]);
    expect(JSON.parse(produced[0]!.value!).payload).toEqual({ marker: 'own' });
  });

  it("holds a device's API key to the key's subject as well", async () => {
    const key = await createApiKey(primary, { name: 'api1-test', subject: deviceA, role: 'device' });
    expectProblem(await call(api.url, 'POST', '/v1/events', { apiKey: key.key, body: event(deviceB) }), 403, 'forbidden');
    expect((await call(api.url, 'POST', '/v1/events', { apiKey: key.key, body: event(deviceA) })).status).toBe(202);
  });

  it('lets a gateway write for many devices in one batch, as the design allows', async () => {
    const gateway = await api.token(uniqueDevice('gateway'), 'gateway');
    const res = await call(api.url, 'POST', '/v1/events', { token: gateway, body: { events: [event(deviceA), event(deviceB)] } });
    expect(res.status).toBe(202);
    expect(res.body?.accepted).toBe(2);
  });
});

describe('reading device data', () => {
  it("refuses device A (and a gateway) B's state, readings and risk, and A's own too, while a viewer reads B", async () => {
    const gateway = await api.token(uniqueDevice('gateway'), 'gateway');
    for (const token of [tokenA, gateway]) {
      for (const target of [deviceB, deviceA]) {
        expectProblem(await call(api.url, 'GET', `/v1/devices/${target}`, { token }), 403, 'forbidden');
        expectProblem(await call(api.url, 'GET', `/v1/devices/${target}/readings`, { token }), 403, 'forbidden');
        expectProblem(await call(api.url, 'POST', '/v1/predictions', { token, body: { deviceId: target } }), 403, 'forbidden');
      }
      expectProblem(await call(api.url, 'GET', `/v1/alerts?deviceId=${deviceB}`, { token }), 403, 'forbidden');
    }
    const state = await call(api.url, 'GET', `/v1/devices/${deviceB}`, { token: viewer });
    expect(state.status).toBe(200);
    expect(state.body).toEqual(expect.objectContaining({ deviceId: deviceB }));
    const readings = await call(api.url, 'GET', `/v1/devices/${deviceB}/readings`, { token: viewer });
    expect((readings.body?.readings as unknown[]).length).toBe(1);
  });
});

describe('acknowledging alerts', () => {
  it("refuses a device, a gateway and a viewer the ack of B's alert, which stays unacknowledged; an operator may", async () => {
    const ruleId = crypto.randomUUID();
    const rule = {
      name: `api1-${ruleId.slice(0, 8)}`,
      metric: 'rain_mm_h',
      direction: 'above',
      levels: [{ severity: 'warning', threshold: 5 }],
      clearThreshold: 4,
      deviceSelector: deviceB, // no other test's device ever matches it
    };
    expect((await call(api.url, 'PUT', `/v1/alert-rules/${ruleId}`, { token: admin, body: rule })).status).toBe(201);
    const { rows } = await primary.query<{ id: string }>(
      `INSERT INTO alerts (rule_id, device_id, metric, status, severity, opened_at, last_value, peak_value, last_event_id, last_event_ts)
       VALUES ($1, $2, 'rain_mm_h', 'open', 'warning', now(), 7, 7, $3, now()) RETURNING id`,
      [ruleId, deviceB, crypto.randomUUID()],
    );
    const alertId = rows[0]!.id;
    for (const token of [tokenA, await api.token(deviceB, 'device'), await api.token(uniqueDevice('gateway'), 'gateway'), viewer]) {
      expectProblem(await call(api.url, 'POST', `/v1/alerts/${alertId}/ack`, { token }), 403, 'forbidden');
    }
    const after = await primary.query('SELECT acknowledged_at, acknowledged_by FROM alerts WHERE id = $1', [alertId]);
    expect(after.rows[0]).toEqual({ acknowledged_at: null, acknowledged_by: null });

    const acked = await call(api.url, 'POST', `/v1/alerts/${alertId}/ack`, { token: await api.token('oscar', 'operator') });
    expect(acked.status).toBe(200);
    expect(acked.body?.acknowledgedBy).toBe('operator:oscar');
    await primary.query('DELETE FROM alerts WHERE rule_id = $1', [ruleId]);
    expect((await call(api.url, 'DELETE', `/v1/alert-rules/${ruleId}`, { token: admin })).status).toBe(204);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
