/**
 * OWASP API5:2023, broken function level authorization. Every /v1 function against every role of DESIGN.md:
 * `device` and `gateway` write events, `viewer` reads, `operator` reads and acknowledges alerts, `admin` does all
 * and alone manages alert rules. API keys are managed only by the CLI with database access: there is no HTTP
 * function for them to reach. A request cannot change its method (X-HTTP-Method-Override and friends, `_method`)
 * or dodge the checks with another spelling of the path.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { createApiKey } from '../../src/auth/api-keys';
import type { Role } from '../../src/auth/principal';
import { startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { call, expectProblem } from '../support/http-calls';
import { rawRequest } from '../support/raw-http';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let db: pg.Pool;
let admin: string;
let viewer: string;
let ruleId: string;
let alertId: string;
const roles: Role[] = ['device', 'gateway', 'viewer', 'operator', 'admin'];
const deviceId = uniqueDevice('api5');
const createdRules: string[] = [];

const rule = (name: string) => ({
  name,
  metric: 'river_level_m',
  direction: 'above',
  levels: [{ severity: 'critical', threshold: 9 }],
  clearThreshold: 8,
  deviceSelector: deviceId, // matches no device of another test
});

interface Operation {
  name: string;
  allowed: Role[];
  request: (token: string, subject: string) => Promise<{ status: number; headers: Record<string, string>; text: string }>;
}

const operations: Operation[] = [
  {
    name: 'POST /v1/events',
    allowed: ['device', 'gateway', 'admin'],
    request: (token, subject) =>
      call(api.url, 'POST', '/v1/events', { token, body: { deviceId: subject, ts: new Date().toISOString(), metrics: { river_level_m: 1 } } }),
  },
  { name: 'GET /v1/devices/{id}', allowed: ['viewer', 'operator', 'admin'], request: (token) => call(api.url, 'GET', `/v1/devices/${deviceId}`, { token }) },
  {
    name: 'GET /v1/devices/{id}/readings',
    allowed: ['viewer', 'operator', 'admin'],
    request: (token) => call(api.url, 'GET', `/v1/devices/${deviceId}/readings`, { token }),
  },
  { name: 'GET /v1/alerts', allowed: ['viewer', 'operator', 'admin'], request: (token) => call(api.url, 'GET', '/v1/alerts?limit=1', { token }) },
  { name: 'POST /v1/alerts/{id}/ack', allowed: ['operator', 'admin'], request: (token) => call(api.url, 'POST', `/v1/alerts/${alertId}/ack`, { token }) },
  { name: 'GET /v1/alert-rules', allowed: ['viewer', 'operator', 'admin'], request: (token) => call(api.url, 'GET', '/v1/alert-rules', { token }) },
  {
    name: 'GET /v1/alert-rules/{id}',
    allowed: ['viewer', 'operator', 'admin'],
    request: (token) => call(api.url, 'GET', `/v1/alert-rules/${ruleId}`, { token }),
  },
  {
    name: 'PUT /v1/alert-rules/{id}',
    allowed: ['admin'],
    request: (token) => {
      const id = crypto.randomUUID();
      createdRules.push(id);
      return call(api.url, 'PUT', `/v1/alert-rules/${id}`, { token, body: rule(`api5-${id.slice(0, 8)}`) });
    },
  },
  {
    name: 'DELETE /v1/alert-rules/{id}',
    allowed: ['admin'],
    request: (token) => call(api.url, 'DELETE', `/v1/alert-rules/${crypto.randomUUID()}`, { token }), // 404 when allowed: no such rule
  },
  {
    name: 'POST /v1/predictions',
    allowed: ['viewer', 'operator', 'admin'],
    request: (token) => call(api.url, 'POST', '/v1/predictions', { token, body: { deviceId } }),
  },
];

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest({ RATE_LIMIT_PER_MINUTE: '100000' });
  db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  admin = await api.token('alice', 'admin');
  viewer = await api.token('vera', 'viewer');
  ruleId = crypto.randomUUID();
  createdRules.push(ruleId);
  expect((await call(api.url, 'PUT', `/v1/alert-rules/${ruleId}`, { token: admin, body: rule(`api5-base-${ruleId.slice(0, 8)}`) })).status).toBe(201);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO alerts (rule_id, device_id, metric, status, severity, opened_at, last_value, peak_value, last_event_id, last_event_ts)
     VALUES ($1, $2, 'river_level_m', 'open', 'critical', now(), 9.5, 9.5, $3, now()) RETURNING id`,
    [ruleId, deviceId, crypto.randomUUID()],
  );
  alertId = rows[0]!.id;
});

afterAll(async () => {
  if (db) {
    await db.query('DELETE FROM alerts WHERE rule_id = ANY($1::uuid[])', [createdRules]);
    await db.query('DELETE FROM alert_rules WHERE id = ANY($1::uuid[])', [createdRules]);
  }
  await api?.shutdown();
  await db?.end();
});

const ruleExists = async (id: string) => (await db.query('SELECT 1 FROM alert_rules WHERE id = $1', [id])).rowCount === 1;

describe.each(roles)('a %s', (role) => {
  it.each(operations.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const subject = role === 'device' ? deviceId : `api5-${role}`;
    const res = await op.request(await api.token(subject, role), subject);
    if (op.allowed.includes(role)) expect([401, 403]).not.toContain(res.status);
    else expect(expectProblem(res, 403, 'forbidden').detail).toMatch(new RegExp(`role ${role} may not`));
  });
});

describe('API keys carry their role from the database', () => {
  it('a device key cannot manage rules and a viewer key cannot write events', async () => {
    const deviceKey = (await createApiKey(db, { name: 'api5-device', subject: deviceId, role: 'device' })).key;
    const viewerKey = (await createApiKey(db, { name: 'api5-viewer', subject: 'api5-viewer', role: 'viewer' })).key;
    expectProblem(await call(api.url, 'DELETE', `/v1/alert-rules/${ruleId}`, { apiKey: deviceKey }), 403, 'forbidden');
    expectProblem(await call(api.url, 'DELETE', `/v1/alert-rules/${ruleId}`, { apiKey: deviceKey, headers: { 'x-role': 'admin' } }), 403, 'forbidden');
    expectProblem(
      await call(api.url, 'POST', '/v1/events', { apiKey: viewerKey, body: { deviceId, ts: new Date().toISOString(), metrics: {} } }),
      403,
      'forbidden',
    );
    expect(await ruleExists(ruleId)).toBe(true);
  });
});

describe('API key management', () => {
  it('has no HTTP function at all, for any role', async () => {
    for (const [method, path] of [
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys'],
      ['DELETE', `/v1/api-keys/${crypto.randomUUID()}`],
      ['GET', '/v1/admin/keys'],
      ['POST', '/v1/keys'],
    ] as const) {
      expectProblem(await call(api.url, method, path, { token: admin, body: method === 'GET' ? undefined : { role: 'admin' } }), 404, 'not-found');
      expectProblem(await call(api.url, method, path), 401, 'unauthenticated');
    }
    const openapi = (await call(api.url, 'GET', '/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths).filter((p) => /key/i.test(p))).toEqual([]);
  });
});

describe('the method is the request line method', () => {
  it.each(['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override'])(
    'ignores %s: a GET stays a GET and a POST does not become a PUT',
    async (header) => {
      for (const token of [viewer, admin]) {
        const read = await call(api.url, 'GET', `/v1/alert-rules/${ruleId}`, { token, headers: { [header]: 'DELETE' } });
        expect(read.status).toBe(200);
        expect(read.body?.id).toBe(ruleId);
      }
      expect(await ruleExists(ruleId)).toBe(true);
      const id = crypto.randomUUID();
      const posted = await call(api.url, 'POST', `/v1/alert-rules/${id}`, {
        token: viewer,
        headers: { [header]: 'PUT' },
        body: rule(`api5-override-${id.slice(0, 8)}`),
      });
      expectProblem(posted, 404, 'not-found');
      expect(await ruleExists(id)).toBe(false);
    },
  );

  it('ignores a _method query or body field', async () => {
    expect((await call(api.url, 'GET', `/v1/alert-rules/${ruleId}?_method=DELETE`, { token: admin })).status).toBe(200);
    expectProblem(await call(api.url, 'POST', `/v1/alert-rules/${ruleId}?_method=DELETE`, { token: admin, body: { _method: 'DELETE' } }), 404, 'not-found');
    expect(await ruleExists(ruleId)).toBe(true);
  });
});

describe('other spellings of a path', () => {
  it('are authenticated and authorized like the canonical one, or match nothing', async () => {
    const id = crypto.randomUUID();
    const body = JSON.stringify(rule(`api5-spelling-${id.slice(0, 8)}`));
    const spellings = [
      `/V1/ALERT-RULES/${id}`,
      `/v1/Alert-Rules/${id}`,
      `/v1/alert-rules/${id}/`,
      `/v1/alert-rules/${id.toUpperCase()}`,
      `//v1/alert-rules/${id}`,
      `/v1/./alert-rules/${id}`,
      `/v1/x/../alert-rules/${id}`,
      `/v1/%61lert-rules/${id}`,
      `/v1/alert-rules/${id};admin`,
      `/v1/alert-rules%2f${id}`,
    ];
    for (const path of spellings) {
      const callers: [string, [string, string][]][] = [
        ['nobody', []],
        ['viewer', [['Authorization', `Bearer ${viewer}`]]],
      ];
      for (const [who, headers] of callers) {
        const res = await rawRequest(api.port, { method: 'PUT', path, headers: [...headers, ['Content-Type', 'application/json']], body });
        const expected = who === 'nobody' ? [401, 404] : [403, 404];
        expect({ path, who, status: res.status, expected: expected.includes(res.status!) }).toEqual({ path, who, status: res.status, expected: true });
        expectProblem({ status: res.status!, headers: res.headers, text: res.body }, res.status!);
      }
    }
    expect(await ruleExists(id)).toBe(false);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
