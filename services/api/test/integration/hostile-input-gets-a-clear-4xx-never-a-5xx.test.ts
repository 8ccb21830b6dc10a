import fc from 'fast-check';
import { bearer, startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { sendRestAfterTheAnswer } from '../support/raw-http';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let token: string;
const deviceId = uniqueDevice('fuzz');
const valid = { deviceId, ts: '2026-11-23T10:00:00Z', metrics: { rain_mm_h: 1 } };

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest({ RATE_LIMIT_PER_MINUTE: '1000000' });
  token = await api.token('fuzz-gateway', 'gateway');
});

afterAll(async () => {
  await api?.shutdown();
});

async function send(body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: { ...bearer(token), ...headers }, body });
  const text = await res.text();
  let problem: { type?: string; detail?: string; errors?: { index?: number; pointer: string }[] } = {};
  try {
    problem = JSON.parse(text);
  } catch {
    /* not JSON: the assertions below say so */
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', problem, text };
}

async function expectProblem(body: string | Uint8Array, status: number, type: string, detail: RegExp, headers: Record<string, string> = {}) {
  const res = await send(body, headers);
  expect({ status: res.status, type: res.problem.type }).toEqual({ status, type: `https://floodgate.dev/problems/${type}` });
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  expect(res.problem.detail).toMatch(detail);
  expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/); // never a stack trace
  return res;
}

describe('every response is hardened', () => {
  it('carries security headers and a request id (the one the caller sent if sane, else a new one), and no framework banner', async () => {
    const res = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: { ...bearer(token), 'x-request-id': 'dev-req-42' }, body: '{' });
    expect(res.headers.get('x-request-id')).toBe('dev-req-42');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(((await res.json()) as { requestId: string }).requestId).toBe('dev-req-42');
    const forged = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a problem, after authentication', async () => {
    const res = await fetch(`${api.url}/v1/nothing-here`, { headers: bearer(token) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('a client still sending when the API answers and closes reads the answer (RFC 9112 §9.6)', () => {
  const body = 2 * 1024 * 1024;
  const first = 64 * 1024;
  it('gets the 401 for an unauthenticated Connection: close upload, then an orderly close once its body is sent', async () => {
    const head = `POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body}\r\n\r\n`;
    const outcome = await sendRestAfterTheAnswer(api.port, head, first, body - first);
    expect({ error: outcome.error, closedByServer: outcome.closedByServer }).toEqual({ error: undefined, closedByServer: true });
    expect(outcome.response).toMatch(/^HTTP\/1\.1 401 /);
    expect(outcome.response).toContain('"status":401');
  });

  it('gets the 400 for a request line the parser refuses, then an orderly close once its body is sent', async () => {
    const head = `get /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${body}\r\n\r\n`;
    const outcome = await sendRestAfterTheAnswer(api.port, head, first, body - first);
    expect({ error: outcome.error, closedByServer: outcome.closedByServer }).toEqual({ error: undefined, closedByServer: true });
    expect(outcome.response).toMatch(/^HTTP\/1\.1 400 /);
    expect(outcome.response).toContain('malformed-request');
  });
});

describe('hostile or broken bodies get a clear problem, never a 5xx', () => {
  it('malformed JSON', () => expectProblem('{"deviceId": "a",', 400, 'malformed-body', /not valid JSON/));
  it('NaN and Infinity are not JSON', async () => {
    await expectProblem('{"deviceId":"a","ts":"2026-11-23T10:00:00Z","metrics":{"x":NaN}}', 400, 'malformed-body', /not valid JSON/);
    await expectProblem('{"deviceId":"a","ts":"2026-11-23T10:00:00Z","metrics":{"x":Infinity}}', 400, 'malformed-body', /not valid JSON/);
  });
  it('a number too large for a double (1e400 parses to Infinity) is refused as not finite', async () => {
    const res = await expectProblem(`{"deviceId":"${deviceId}","ts":"2026-11-23T10:00:00Z","metrics":{"rain_mm_h":1e400}}`, 400, 'validation', /invalid/);
    expect(res.problem.errors?.[0]?.pointer).toBe('/metrics/rain_mm_h');
  });
  it('wrong or missing content type', async () => {
    await expectProblem(JSON.stringify(valid), 415, 'unsupported-media-type', /application\/json/, { 'content-type': 'text/plain' });
    await expectProblem(JSON.stringify(valid), 415, 'unsupported-media-type', /application\/json/, { 'content-type': 'application/x-www-form-urlencoded' });
    await expectProblem(JSON.stringify(valid), 415, 'unsupported-media-type', /UTF-8/, { 'content-type': 'application/json; charset=latin1' });
  });
  it('a body over 1 MiB', () => expectProblem(JSON.stringify({ ...valid, payload: { blob: 'x'.repeat(1024 * 1024) } }), 413, 'payload-too-large', /1 MiB/));
  it('deep nesting, even as a megabyte of brackets', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    await expectProblem(JSON.stringify({ ...valid, payload: deep }), 400, 'validation', /nested deeper than 32/);
    await expectProblem('['.repeat(1024 * 1024 - 1), 400, 'malformed-body', /not valid JSON/);
    await expectProblem(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 400, 'validation', /nested deeper/);
  });
  it('unknown fields are refused, not silently dropped', async () => {
    const res = await expectProblem(JSON.stringify({ ...valid, metricz: { rain_mm_h: 1 } }), 400, 'validation', /invalid/);
    expect(JSON.stringify(res.problem.errors)).toContain('metricz');
    await expectProblem(JSON.stringify({ events: [valid], extra: true }), 400, 'validation', /unknown: extra/);
  });
  it('invalid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"deviceId":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","ts":"2026-11-23T10:00:00Z","metrics":{}}')]);
    await expectProblem(bytes, 400, 'malformed-body', /UTF-8/);
  });
  it('huge strings and a payload over 64 KiB', async () => {
    const res = await expectProblem(JSON.stringify({ ...valid, deviceId: 'd'.repeat(200_000) }), 400, 'validation', /invalid/);
    expect(res.problem.errors?.[0]?.pointer).toBe('/deviceId');
    const big = await expectProblem(JSON.stringify({ ...valid, payload: { note: 'n'.repeat(70 * 1024) } }), 400, 'validation', /invalid/);
    expect(big.problem.errors?.[0]).toEqual(expect.objectContaining({ pointer: '/payload', message: expect.stringMatching(/64 KiB/) }));
  });
  it('batches: empty, too many events, not an array, a bare array, an empty body', async () => {
    await expectProblem(JSON.stringify({ events: [] }), 400, 'validation', /empty/);
    await expectProblem(JSON.stringify({ events: Array.from({ length: 1001 }, () => valid) }), 400, 'validation', /at most 1000/);
    await expectProblem(JSON.stringify({ events: 'all of them' }), 400, 'validation', /must be an array/);
    await expectProblem(JSON.stringify([valid]), 400, 'validation', /one event object/);
    await expectProblem('', 400, 'malformed-body', /empty/);
  });
  it('a body in an unknown content encoding, or a corrupt compressed one', async () => {
    await expectProblem(Buffer.from([1, 2, 3]), 415, 'unsupported-media-type', /gzip, deflate or br/, { 'content-encoding': 'x-squash' });
    await expectProblem(Buffer.from([1, 2, 3]), 400, 'malformed-body', /./, { 'content-encoding': 'gzip' });
  });

  it('random bodies, random JSON and mutated events never produce a 5xx, and every 4xx is a problem', async () => {
    const metricValue = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null), fc.boolean());
    const mutatedEvent = fc.record(
      {
        eventId: fc.oneof(fc.uuid(), fc.string()),
        deviceId: fc.oneof(fc.constant(deviceId), fc.string({ maxLength: 200 })),
        ts: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        metrics: fc.dictionary(fc.oneof(fc.constant('rain_mm_h'), fc.string({ maxLength: 70 })), metricValue, { maxKeys: 70 }),
        payload: fc.jsonValue({ maxDepth: 4 }),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
      mutatedEvent.map((e) => JSON.stringify(e)),
      fc.array(mutatedEvent, { maxLength: 5 }).map((events) => JSON.stringify({ events })),
      fc.uint8Array({ maxLength: 300 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await send(b === '' ? ' ' : b);
        if (res.status === 202) return; // a random body that is a valid event is fine
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.contentType).toMatch(/^application\/problem\+json/);
        expect(res.problem.type).toMatch(/^https:\/\/floodgate\.dev\/problems\//);
      }),
      { numRuns: 300 },
    );
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200); // the process stayed up
  }, 120_000);
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
