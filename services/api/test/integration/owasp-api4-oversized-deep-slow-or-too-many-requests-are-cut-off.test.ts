/**
 * OWASP API4:2023, unrestricted resource consumption. Every request is bounded before it can cost much: the body
 * at 1 MiB however it arrives (Content-Length, chunked, or compressed), a batch at 1,000 events, JSON at 32
 * levels, an event at 64 metrics, the header section at Node's 16 KiB, a page at 1,000 readings or 500 alerts,
 * a request that trickles in at the server's header and request timeouts, and each principal at its rate limit
 * on every route together. Each refusal is an RFC 9457 problem, and the process keeps serving.
 * (The 1,001st request in a minute with the default limit is proved in the-1001st-request-in-a-minute-gets-429.)
 */
import zlib from 'node:zlib';
import { startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { call, expectProblem, parseJson } from '../support/http-calls';
import { rawExchange, rawRequest, requestBytes, type RawResponse } from '../support/raw-http';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let limited: ApiUnderTest;
let gateway: string;
let viewer: string;
const deviceId = uniqueDevice('api4');
const event = (extra: Record<string, unknown> = {}) => ({ deviceId, ts: new Date().toISOString(), metrics: { rain_mm_h: 1 }, ...extra });
const mib = 1024 * 1024;

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest({ RATE_LIMIT_PER_MINUTE: '100000' });
  limited = await startApiUnderTest({ RATE_LIMIT_PER_MINUTE: '5' });
  gateway = await api.token(uniqueDevice('api4-gateway'), 'gateway');
  viewer = await api.token('vera', 'viewer');
});

afterAll(async () => {
  await api?.shutdown();
  await limited?.shutdown();
});

const rawProblem = (res: RawResponse, status: number, kind?: string) => {
  expect(res.status).toBe(status);
  return expectProblem({ status: res.status!, headers: res.headers, text: res.body }, status, kind);
};

async function stillServing() {
  expect((await call(api.url, 'POST', '/v1/events', { token: gateway, body: event() })).status).toBe(202);
}

describe('bodies', () => {
  it('refuses a chunked body (no Content-Length) over 1 MiB with 413', async () => {
    // The parser stops buffering at the limit and discards the rest; the answer comes once the body ended
    // (body-parser drains the request so the client can read it). A body that never ends is cut by the
    // request timeout: see "slow clients".
    const head = requestBytes({
      method: 'POST',
      path: '/v1/events',
      headers: [
        ['Authorization', `Bearer ${gateway}`],
        ['Content-Type', 'application/json'],
        ['Transfer-Encoding', 'chunked'],
      ],
    });
    const chunk = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
    const res = await rawExchange(api.port, Buffer.concat([head, Buffer.from(`d\r\n{"deviceId":"\r\n${chunk.repeat(24)}0\r\n\r\n`)]));
    rawProblem(res, 413, 'payload-too-large');
    await stillServing();
  });

  it('counts a compressed body after inflating it: a small gzip or deflate bomb gets 413', async () => {
    const bomb = Buffer.from(JSON.stringify(event({ payload: { blob: '0'.repeat(16 * mib) } })));
    for (const [encoding, compress] of [
      ['gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ] as const) {
      const body = compress(bomb);
      expect(body.length).toBeLessThan(mib / 8);
      const res = await fetch(`${api.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway}`, 'content-type': 'application/json', 'content-encoding': encoding },
        body,
      });
      const text = await res.text();
      expectProblem({ status: res.status, headers: Object.fromEntries(res.headers), text }, 413, 'payload-too-large');
    }
    await stillServing();
  });

  it('refuses a batch over 1,000 events, JSON deeper than 32 levels, and more than 64 metrics', async () => {
    const batch = await call(api.url, 'POST', '/v1/events', { token: gateway, body: { events: Array.from({ length: 1001 }, () => event()) } });
    expect(expectProblem(batch, 400, 'validation').detail).toMatch(/at most 1000/);
    const deep = await call(api.url, 'POST', '/v1/events', { token: gateway, body: `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}` });
    expect(expectProblem(deep, 400, 'validation').detail).toMatch(/nested deeper than 32/);
    const metrics = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m_${i}`, i]));
    const wide = await call(api.url, 'POST', '/v1/events', { token: gateway, body: event({ metrics }) });
    expect(JSON.stringify(expectProblem(wide, 400, 'validation').errors)).toMatch(/at most 64 metrics/);
    await stillServing();
  });
});

describe('headers and URLs', () => {
  it('serves 500 small headers, and answers a header section over 16 KiB and a 64 KiB URL with 431 problems', async () => {
    const many = Array.from({ length: 500 }, (_, i): [string, string] => [`X-Filler-${i}`, 'v']);
    const ok = await rawRequest(api.port, { method: 'GET', path: '/healthz', headers: many });
    expect(ok.status).toBe(200);
    const huge = await rawRequest(api.port, { method: 'GET', path: '/healthz', headers: [['X-Huge', 'h'.repeat(20 * 1024)]] });
    rawProblem(huge, 431);
    const longUrl = await rawRequest(api.port, {
      method: 'GET',
      path: `/v1/devices/${'d'.repeat(64 * 1024)}`,
      headers: [['Authorization', `Bearer ${viewer}`]],
    });
    rawProblem(longUrl, 431);
    await stillServing();
  });
});

describe('pages', () => {
  it.each([
    ['/v1/devices/any-device/readings', 1000],
    ['/v1/alerts', 500],
  ])('caps the page size of %s at %i and refuses more, less than 1, or a non-number, naming the parameter', async (path, max) => {
    expect((await call(api.url, 'GET', `${path}?limit=${max}`, { token: viewer })).status).toBe(200);
    for (const limit of [max + 1, 1e9, 0, -1, 10.5, 'all']) {
      const res = await call(api.url, 'GET', `${path}?limit=${limit}`, { token: viewer });
      expect(JSON.stringify(expectProblem(res, 400, 'validation').errors)).toContain('/query/limit');
    }
    const cursor = await call(api.url, 'GET', `${path}?cursor=${'c'.repeat(600)}`, { token: viewer });
    expect(JSON.stringify(expectProblem(cursor, 400, 'validation').errors)).toContain('/query/cursor');
  });
});

describe('slow clients', () => {
  it('closes a connection whose headers or body trickle in slower than the server timeouts (slowloris), or whose body never ends', async () => {
    const trickle = (prefix: string, bytesEveryHalfSecond: string) =>
      rawExchange(
        api.port,
        (socket) => {
          socket.write(prefix);
          const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(bytesEveryHalfSecond)), 500);
          socket.once('close', () => clearInterval(timer));
        },
        // Node checks the timeouts every 30 s, so the cut comes within timeout + 30 s; give up long after.
        { waitMs: 110_000 },
      );
    const endless = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
    const [headers, body, chunked] = await Promise.all([
      trickle('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n'),
      trickle(
        `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${gateway}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"payload":"`,
        'x',
      ),
      // 128 KiB a second past the 1 MiB limit, forever: the server discards it, and the request timeout ends it.
      trickle(
        `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${gateway}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        endless,
      ),
    ]);
    for (const res of [headers, body, chunked]) {
      expect(res.closedByServer).toBe(true);
      rawProblem(res, 408, 'request-timeout');
    }
    await stillServing();
  }, 150_000);
});

describe('rate limit', () => {
  it('shares one budget per principal across every route, which a fresh token for the same principal does not reset', async () => {
    const subject = uniqueDevice('api4-admin');
    const first = await limited.token(subject, 'admin');
    const statuses: number[] = [];
    const requests = [
      () => call(limited.url, 'POST', '/v1/events', { token: first, body: event() }),
      () => call(limited.url, 'GET', `/v1/devices/${deviceId}`, { token: first }),
      () => call(limited.url, 'GET', '/v1/alerts', { token: first }),
      () => call(limited.url, 'GET', '/v1/alert-rules', { token: first }),
      () => call(limited.url, 'POST', '/v1/predictions', { token: first, body: { deviceId } }),
    ];
    for (const request of requests) statuses.push((await request()).status);
    expect(statuses).not.toContain(429);
    const fresh = await limited.token(subject, 'admin', 1800); // another token (other exp), same principal
    expect(fresh).not.toBe(first);
    for (const path of ['/v1/alert-rules', '/v1/alerts', '/v1/nothing-here']) {
      const res = await call(limited.url, 'GET', path, { token: fresh });
      expectProblem(res, 429, 'rate-limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.headers['ratelimit-remaining']).toBe('0');
    }
    expect(
      parseJson((await call(limited.url, 'GET', '/v1/alert-rules', { token: await limited.token(uniqueDevice('api4-other'), 'admin') })).text),
    ).toHaveProperty('rules');
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
