/**
 * OWASP API3:2023, broken object property level authorization: mass assignment (a client setting a property
 * only the server may set) and excessive data exposure (a response carrying a property the client must not see).
 * Alert rules are the one resource clients write as whole objects: their id comes from the path, `createdAt` and
 * `updatedAt` from the server, and there is no owner or tenant to forge. An event's ingest time and principal
 * are set by the API from the request, never from the body or the client's headers. API keys live only as hashes,
 * and no response carries a hash, a database password or the token secret.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { createApiKey, hashApiKey } from '../../src/auth/api-keys';
import { startApiUnderTest, testSecret, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { call, expectProblem } from '../support/http-calls';
import { createIsolatedTopics, readAll } from '../support/kafka-topics';
import { acquire, type Release } from '../support/stack-disruption-lock';
import { apiKeySecret } from '../support/api-key-secret';

let api: ApiUnderTest;
let topics: Awaited<ReturnType<typeof createIsolatedTopics>>;
let db: pg.Pool;
let admin: string;
let viewer: string;
const createdRules: string[] = [];

const rule = (name: string) => ({
  name,
  metric: 'tilt_deg',
  direction: 'above',
  levels: [{ severity: 'warning', threshold: 2 }],
  clearThreshold: 1,
  deviceSelector: `api3-${process.pid}-*`, // matches no device of another test
});

async function putRule(id: string, body: unknown) {
  createdRules.push(id);
  return call(api.url, 'PUT', `/v1/alert-rules/${id}`, { token: admin, body });
}

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  topics = await createIsolatedTopics('owasp-api3');
  api = await startApiUnderTest({ KAFKA_TOPIC_PREFIX: topics.prefix, RATE_LIMIT_PER_MINUTE: '100000' });
  db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  admin = await api.token('alice', 'admin');
  viewer = await api.token('vera', 'viewer');
});

afterAll(async () => {
  if (db && createdRules.length) await db.query('DELETE FROM alert_rules WHERE id = ANY($1::uuid[])', [createdRules]);
  await api?.shutdown();
  await db?.end();
  await topics?.remove();
});

describe('alert rules: no mass assignment', () => {
  it.each([
    ['id', () => crypto.randomUUID()],
    ['createdAt', () => '2000-01-01T00:00:00Z'],
    ['updatedAt', () => '2000-01-01T00:00:00Z'],
    ['created_at', () => '2000-01-01T00:00:00Z'],
    ['createdBy', () => 'admin:mallory'],
    ['tenant', () => 'other-tenant'],
    ['tenantId', () => 'other-tenant'],
    ['owner', () => 'mallory'],
    ['inserted', () => false],
    ['constructor', () => ({ prototype: { isAdmin: true } })],
  ])('refuses a new rule carrying %s, naming the field, and stores nothing', async (field, value) => {
    const id = crypto.randomUUID();
    const res = await putRule(id, { ...rule(`api3-${field}-${id.slice(0, 8)}`), [field]: value() });
    const problem = expectProblem(res, 400, 'validation');
    expect(JSON.stringify(problem.errors)).toContain(field);
    expectProblem(await call(api.url, 'GET', `/v1/alert-rules/${id}`, { token: viewer }), 404, 'not-found');
  });

  it('refuses __proto__ in a rule and in a level, and leaves Object.prototype alone', async () => {
    const id = crypto.randomUUID();
    const topLevel = `{"__proto__":{"isAdmin":true},${JSON.stringify(rule(`api3-proto-${id.slice(0, 8)}`)).slice(1)}`;
    expectProblem(await putRule(id, topLevel), 400, 'validation');
    const inLevel = JSON.stringify(rule(`api3-proto2-${id.slice(0, 8)}`)).replace('{"severity"', '{"__proto__":{"isAdmin":true},"severity"');
    expectProblem(await putRule(id, inLevel), 400, 'validation');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined(); // the API runs in this process
    expectProblem(await call(api.url, 'GET', `/v1/alert-rules/${id}`, { token: viewer }), 404, 'not-found');
  });

  it('keeps the id from the path and createdAt from the first write when a rule is replaced; a replace with server fields changes nothing', async () => {
    const id = crypto.randomUUID();
    const name = `api3-replace-${id.slice(0, 8)}`;
    const created = await putRule(id, rule(name));
    expect(created.status).toBe(201);
    const replaced = await putRule(id, { ...rule(name), clearThreshold: 0.5 });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual(expect.objectContaining({ id, createdAt: created.body!.createdAt, clearThreshold: 0.5 }));
    expect(Date.parse(String(replaced.body!.updatedAt))).toBeGreaterThanOrEqual(Date.parse(String(created.body!.updatedAt)));

    expectProblem(await putRule(id, { ...rule(name), clearThreshold: 0.1, createdAt: '2000-01-01T00:00:00Z', id: crypto.randomUUID() }), 400, 'validation');
    const stored = await call(api.url, 'GET', `/v1/alert-rules/${id}`, { token: viewer });
    expect(stored.body).toEqual(replaced.body);
  });

  it('has no POST or PATCH on rules that could take a partial object', async () => {
    const id = crypto.randomUUID();
    expectProblem(await call(api.url, 'POST', '/v1/alert-rules', { token: admin, body: { ...rule(`api3-post-${id.slice(0, 8)}`), id } }), 404, 'not-found');
    expectProblem(await call(api.url, 'PATCH', `/v1/alert-rules/${id}`, { token: admin, body: { enabled: false } }), 404, 'not-found');
    expect((await db.query('SELECT 1 FROM alert_rules WHERE id = $1', [id])).rowCount).toBe(0);
  });

  it('answers with exactly the documented properties of a rule plus id, createdAt and updatedAt', async () => {
    const id = crypto.randomUUID();
    const res = await putRule(id, rule(`api3-shape-${id.slice(0, 8)}`));
    const openapi = (await call(api.url, 'GET', '/openapi.json')).body as { components: { schemas: { AlertRule: { properties: Record<string, unknown> } } } };
    const documented = Object.keys(openapi.components.schemas.AlertRule.properties);
    expect(Object.keys(res.body!).sort()).toEqual([...documented, 'id', 'createdAt', 'updatedAt'].sort());
    expect(res.body!.levels).toEqual([{ severity: 'warning', threshold: 2 }]);
  });
});

describe('alerts: the acknowledger is the caller', () => {
  it('ignores acknowledgedBy and acknowledgedAt sent in the body', async () => {
    const ruleId = crypto.randomUUID();
    expect((await putRule(ruleId, rule(`api3-ack-${ruleId.slice(0, 8)}`))).status).toBe(201);
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO alerts (rule_id, device_id, metric, status, severity, opened_at, last_value, peak_value, last_event_id, last_event_ts)
       VALUES ($1, $2, 'tilt_deg', 'open', 'warning', now(), 3, 3, $3, now()) RETURNING id`,
      [ruleId, uniqueDevice('api3-slope'), crypto.randomUUID()],
    );
    const res = await call(api.url, 'POST', `/v1/alerts/${rows[0]!.id}/ack`, {
      token: await api.token('oscar', 'operator'),
      body: { acknowledgedBy: 'admin:root', acknowledgedAt: '2000-01-01T00:00:00Z' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ acknowledgedBy: 'operator:oscar' }));
    expect(Date.parse(String(res.body!.acknowledgedAt))).toBeGreaterThan(Date.parse('2020-01-01T00:00:00Z'));
    await db.query('DELETE FROM alerts WHERE rule_id = $1', [ruleId]);
  });
});

describe('events: the server sets ingest time and principal', () => {
  it('refuses server fields in an event, and overrides the same names sent as headers', async () => {
    const deviceId = uniqueDevice('api3-device');
    const token = await api.token(deviceId, 'device');
    const base = { deviceId, ts: new Date().toISOString(), metrics: { tilt_deg: 1 } };
    for (const field of ['principal', 'ingestTime', 'receivedAt', 'tenant', 'role']) {
      const res = await call(api.url, 'POST', '/v1/events', { token, body: { ...base, [field]: 'forged' } });
      expect(JSON.stringify(expectProblem(res, 400, 'validation').errors)).toContain(field);
    }
    const before = Date.now();
    const accepted = await call(api.url, 'POST', '/v1/events', {
      token,
      body: base,
      headers: { 'floodgate-principal': 'admin:root', 'floodgate-ingest-time': '0', 'floodgate-schema': 'forged' },
    });
    expect(accepted.status).toBe(202);
    const messages = await readAll(topics.events);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.headers).toEqual(expect.objectContaining({ 'floodgate-principal': `device:${deviceId}`, 'floodgate-schema': 'floodgate.event.v1' }));
    expect(Number(messages[0]!.headers['floodgate-ingest-time'])).toBeGreaterThanOrEqual(before);
  });
});

describe('responses hold no secrets', () => {
  it('never show a key hash, the database or Redis password, or the token secret, on any read route', async () => {
    const key = await createApiKey(db, { name: 'api3-secrets', subject: 'api3', role: 'admin' });
    const secrets = [
      hashApiKey(key.key),
      apiKeySecret(key.key),
      testSecret,
      new URL(process.env.DATABASE_URL!).password,
      new URL(process.env.DATABASE_READ_URL ?? process.env.DATABASE_URL!).password,
      new URL(process.env.REDIS_URL!).password, // empty on the local stack, so filtered out below
    ].filter((s) => s.length >= 8);
    const texts: string[] = [];
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/v1/alert-rules', '/v1/alerts', '/v1/devices/none-such', '/v1/api-keys']) {
      texts.push((await call(api.url, 'GET', path, { apiKey: key.key })).text);
    }
    texts.push((await call(api.url, 'POST', '/v1/events', { apiKey: key.key, body: '{' })).text);
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
