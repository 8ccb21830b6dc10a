/**
 * OWASP API8:2023, security misconfiguration: every response, success or error, from Express or from Node's
 * parser, carries the security headers and no banner; errors are problems that reveal no internals; there is no
 * CORS grant; TRACE, unknown methods and malformed or smuggling-shaped requests get a problem; /metrics labels
 * carry route templates, never device ids.
 *
 * The rest of the OWASP API Security Top 10 (2023), and where each stands:
 * - API1 object level, API2 authentication, API3 property level, API4 resource consumption, API5 function level:
 *   the owasp-api1..5 files beside this one.
 * - API6 unrestricted access to sensitive business flows: does not apply. Floodgate has no flow whose automated use
 *   hurts the business (no purchases, sign-ups, reservations, comments); its one bulk flow, ingest, is meant to be
 *   automated and is bounded per principal by the rate limit (owasp-api4).
 * - API7 server-side request forgery: does not apply to the API. No request carries a URL the API fetches: the JWKS
 *   URL is configuration, and `jku`/`x5u`/`jwk` in a token are never followed (owasp-api2 proves no fetch). Webhook
 *   targets are configuration only (the worker notifier's NOTIFIER_WEBHOOK_URLS environment variable, no API route),
 *   and are refused when they resolve to loopback, link-local, metadata or private addresses
 *   (services/worker/test/integration/webhooks-are-signed-and-never-sent-to-internal-addresses.test.ts).
 * - API9 improper inventory management: one version (/v1) and no undocumented routes: /openapi.json is kept true by
 *   services/api/test/unit/openapi-documents-every-route.test.ts, and owasp-api5 shows no hidden key-management route.
 * - API10 unsafe consumption of APIs: the API consumes one third-party API, the identity provider's JWKS, through
 *   jose (timeout, cooldown, pinned algorithms; owasp-api2); the worker treats Kafka messages as untrusted
 *   (schema-validated, poison to the DLQ).
 */
import crypto from 'node:crypto';
import { startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { call, expectProblem, stackTracePattern, type Reply } from '../support/http-calls';
import { rawRequest, type RawResponse } from '../support/raw-http';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let gateway: string;
let viewer: string;
let admin: string;
const deviceId = uniqueDevice('api8-slope');

const requiredHeaders: Record<string, RegExp> = {
  'content-security-policy': /default-src 'none'/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/,
  'referrer-policy': /^no-referrer$/,
  'strict-transport-security': /max-age=\d{7,}/,
  'cross-origin-resource-policy': /^same-origin$/,
  'cache-control': /^no-store$/,
};
const forbiddenHeaders = ['x-powered-by', 'server', 'etag', 'access-control-allow-origin', 'access-control-allow-credentials'];

function expectHardened(what: string, headers: Record<string, string>) {
  const seen = Object.fromEntries(Object.keys(requiredHeaders).map((h) => [h, requiredHeaders[h]!.test(headers[h] ?? '')]));
  expect({ what, seen }).toEqual({ what, seen: Object.fromEntries(Object.keys(requiredHeaders).map((h) => [h, true])) });
  expect({ what, present: forbiddenHeaders.filter((h) => h in headers) }).toEqual({ what, present: [] });
}

const asReply = (res: RawResponse): Pick<Reply, 'status' | 'headers' | 'text'> => ({ status: res.status!, headers: res.headers, text: res.body });

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest({ RATE_LIMIT_PER_MINUTE: '100000' });
  gateway = await api.token(uniqueDevice('api8-gateway'), 'gateway');
  viewer = await api.token('vera', 'viewer');
  admin = await api.token('alice', 'admin');
});

afterAll(async () => {
  await api?.shutdown();
});

describe('security headers', () => {
  it('are on every success and every error Express answers, and no banner, ETag or CORS grant is', async () => {
    const ruleId = crypto.randomUUID();
    const rule = {
      name: `api8-${ruleId.slice(0, 8)}`,
      metric: 'tilt_deg',
      direction: 'above',
      levels: [{ severity: 'info', threshold: 5 }],
      clearThreshold: 4,
    };
    const replies: [string, Reply][] = [
      ['200 /healthz', await call(api.url, 'GET', '/healthz')],
      ['200 /readyz', await call(api.url, 'GET', '/readyz')],
      ['200 /metrics', await call(api.url, 'GET', '/metrics')],
      ['200 /openapi.json', await call(api.url, 'GET', '/openapi.json')],
      ['202 ingest', await call(api.url, 'POST', '/v1/events', { token: gateway, body: { deviceId, ts: new Date().toISOString(), metrics: { tilt_deg: 1 } } })],
      ['201 rule', await call(api.url, 'PUT', `/v1/alert-rules/${ruleId}`, { token: admin, body: { ...rule, deviceSelector: deviceId } })],
      ['200 rules', await call(api.url, 'GET', '/v1/alert-rules', { token: viewer })],
      ['204 delete', await call(api.url, 'DELETE', `/v1/alert-rules/${ruleId}`, { token: admin })],
      ['400 bad JSON', await call(api.url, 'POST', '/v1/events', { token: gateway, body: '{' })],
      ['401 no credentials', await call(api.url, 'GET', '/v1/alerts')],
      ['403 wrong role', await call(api.url, 'GET', '/v1/alerts', { token: gateway })],
      ['404 unknown route', await call(api.url, 'GET', '/v1/nothing', { token: viewer })],
      ['404 unknown public route', await call(api.url, 'GET', '/admin')],
      ['413 too large', await call(api.url, 'POST', '/v1/events', { token: gateway, body: 'x'.repeat(1024 * 1024 + 1) })],
      ['415 wrong type', await call(api.url, 'POST', '/v1/events', { token: gateway, body: 'a=b', headers: { 'content-type': 'text/plain' } })],
    ];
    for (const [what, reply] of replies) {
      expectHardened(what, reply.headers);
      expect({ what, leak: stackTracePattern.test(reply.text) }).toEqual({ what, leak: false });
    }
  });

  it("are on the problems Node's parser answers itself (malformed request, huge headers), which also close the connection", async () => {
    const replies: [string, RawResponse][] = [
      ['control byte in a header', await rawRequest(api.port, { method: 'GET', path: '/healthz', headers: [['X-Bad\x01', 'v']] })],
      ['header over 16 KiB', await rawRequest(api.port, { method: 'GET', path: '/healthz', headers: [['X-Huge', 'h'.repeat(17 * 1024)]] })],
      ['unknown method', await rawRequest(api.port, { method: 'FOO', path: '/healthz' })],
      ['space in the path', await rawRequest(api.port, { method: 'GET', path: '/health z' })],
    ];
    for (const [what, res] of replies) {
      expectProblem(asReply(res), res.status!);
      expect({ what, status: res.status }).toEqual({ what, status: what.startsWith('header over') ? 431 : 400 });
      expectHardened(what, res.headers);
      expect(res.headers.connection).toBe('close');
    }
  });
});

describe('requests that smuggle, trace or use unknown methods', () => {
  it('refuses Content-Length with Transfer-Encoding, two Content-Lengths, and a bad chunk size, without serving a smuggled request', async () => {
    const smuggled = `0\r\n\r\nGET /v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${viewer}\r\n\r\n`;
    const attempts: RawResponse[] = [
      await rawRequest(api.port, {
        method: 'POST',
        path: '/v1/events',
        headers: [
          ['Authorization', `Bearer ${gateway}`],
          ['Content-Type', 'application/json'],
          ['Content-Length', '4'],
          ['Transfer-Encoding', 'chunked'],
        ],
        body: smuggled,
        contentLength: null,
      }),
      await rawRequest(api.port, {
        method: 'POST',
        path: '/v1/events',
        headers: [
          ['Authorization', `Bearer ${gateway}`],
          ['Content-Type', 'application/json'],
          ['Content-Length', '2'],
          ['Content-Length', '40'],
        ],
        body: '{}',
        contentLength: null,
      }),
      await rawRequest(api.port, {
        method: 'POST',
        path: '/v1/events',
        headers: [
          ['Authorization', `Bearer ${gateway}`],
          ['Content-Type', 'application/json'],
          ['Transfer-Encoding', 'chunked'],
        ],
        body: 'zz\r\n{}\r\n0\r\n\r\n',
      }),
    ];
    for (const res of attempts) {
      expectProblem(asReply(res), 400, 'malformed-request');
      expect(res.body).not.toContain('"alerts"'); // the smuggled GET was never answered
    }
  });

  it('answers TRACE, TRACK, PROPFIND and CONNECT with a problem or a closed connection, never echoing the request', async () => {
    for (const method of ['TRACE', 'TRACK', 'PROPFIND']) {
      for (const path of ['/healthz', '/v1/events']) {
        const res = await rawRequest(api.port, { method, path, headers: [['Authorization', `Bearer ${viewer}`]] });
        expectProblem(asReply(res), res.status!);
        expect([400, 401, 404, 405]).toContain(res.status);
        expect(res.body).not.toContain(viewer);
        expectHardened(`${method} ${path}`, res.headers);
      }
    }
    const connect = await rawRequest(api.port, { method: 'CONNECT', path: 'internal.example:443', headers: [['Host', 'internal.example:443']] });
    expect(connect.status === undefined || (connect.status >= 400 && connect.status < 500)).toBe(true);
    expect(connect.closedByServer).toBe(true);
  });
});

describe('CORS', () => {
  it('grants no origin, not on a simple request and not on a preflight', async () => {
    const origin = 'https://evil.example';
    const simple = await call(api.url, 'GET', '/v1/alerts', { token: viewer, headers: { origin } });
    const preflight = await call(api.url, 'OPTIONS', '/v1/alerts', {
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    const publicPreflight = await call(api.url, 'OPTIONS', '/healthz', { headers: { origin, 'access-control-request-method': 'GET' } });
    for (const res of [simple, preflight, publicPreflight]) {
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('errors reveal nothing', () => {
  it('give a stable problem type and a safe detail, without stack, SQL, paths or library names, for many kinds of bad request', async () => {
    const bad: [string, string, Parameters<typeof call>[3]][] = [
      ['GET', '/v1/alert-rules/not-a-uuid', { token: viewer }],
      ['GET', `/v1/alert-rules/${"' OR 1=1 --"}`, { token: viewer }],
      ['GET', `/v1/devices/${encodeURIComponent("x'; DROP TABLE readings; --")}`, { token: viewer }],
      ['GET', '/v1/devices/d/readings?cursor=eyJ0IjoxfQ', { token: viewer }],
      ['GET', '/v1/devices/d/readings?from=yesterday', { token: viewer }],
      ['GET', '/v1/alerts?status=closed&severity=huge', { token: viewer }],
      ['POST', '/v1/events', { token: gateway, body: '{"deviceId": [}' }],
      ['POST', '/v1/events', { token: gateway, body: { deviceId: { $ne: null }, ts: 1, metrics: [] } }],
      ['POST', '/v1/predictions', { token: viewer, body: { deviceId: 'd', metric: "rain'; --" } }],
      ['PUT', `/v1/alert-rules/${crypto.randomUUID()}`, { token: admin, body: { name: 1 } }],
      ['POST', '/v1/events', { headers: { authorization: 'Bearer a.b.c' }, body: '{}' }],
    ];
    for (const [method, path, opts] of bad) {
      const res = await call(api.url, method, path, opts);
      const problem = expectProblem(res, res.status);
      expect({ path, status: res.status >= 400 && res.status < 500 }).toEqual({ path, status: true });
      expect(JSON.stringify(problem)).not.toMatch(/SELECT|INSERT|relation "|DatabaseError|ZodError|TypeError|\bpg\b|express|body-parser/i);
    }
  });
});

describe('/metrics', () => {
  it('labels requests by route template, never by a device id, and holds no credentials', async () => {
    const secretDevice = uniqueDevice('api8-private-device');
    await call(api.url, 'GET', `/v1/devices/${secretDevice}`, { token: viewer });
    await call(api.url, 'GET', `/v1/devices/${secretDevice}/readings`, { token: viewer });
    await call(api.url, 'GET', `/v1/no-such-route-${secretDevice}`, { token: viewer });
    const metrics = (await call(api.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/route="\/v1\/devices\/:id"/);
    expect(metrics).not.toContain(secretDevice);
    expect(metrics).not.toContain(viewer.split('.')[2]!);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
