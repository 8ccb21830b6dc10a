import { startServer, stopServer } from '@floodgate/devstack';
import { bearer, startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;

let release: Release | undefined;
// This test stops a server of the shared stack: nothing else of the API runs meanwhile.
beforeAll(async () => {
  release = await acquire('exclusive');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest();
});

afterAll(async () => {
  await startServer('redis');
  await api?.shutdown();
}, 60_000);

// A cheap authenticated request: it passes authentication and the limiter, then finds no route.
const hit = (token: string) => fetch(`${api.url}/v1/rate-limit-probe`, { headers: bearer(token) });

async function degradedGauge(): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  return Number(/^floodgate_rate_limit_degraded (\d+)/m.exec(text)?.[1]);
}

it('allows 1,000 requests per minute per principal and answers the 1,001st with 429, Retry-After and RateLimit headers', async () => {
  const token = await api.token(uniqueDevice('chatty'), 'device');
  const statuses: number[] = [];
  // 20 concurrent clients, as a burst from a gateway would arrive.
  for (let i = 0; i < 1000; i += 20) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => hit(token)));
    for (const res of batch) {
      statuses.push(res.status);
      await res.arrayBuffer();
    }
  }
  expect(statuses.filter((s) => s === 429)).toEqual([]);
  const last = await hit(token);
  expect(last.status).toBe(429);
  expect(last.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(last.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  expect(last.headers.get('ratelimit-limit')).toBe('1000');
  expect(last.headers.get('ratelimit-remaining')).toBe('0');
  expect(((await last.json()) as { type: string }).type).toBe('https://floodgate.dev/problems/rate-limited');

  // Another principal has its own budget.
  expect((await hit(await api.token(uniqueDevice('quiet'), 'device'))).status).toBe(404);
  expect(await degradedGauge()).toBe(0);
}, 120_000);

it('keeps limiting on its own while Redis is down, says so in a metric, and shares the limit again when Redis returns', async () => {
  const token = await api.token(uniqueDevice('during-outage'), 'device');
  await stopServer('redis');
  try {
    const res = await hit(token);
    expect(res.status).toBe(404); // served, not failed: the local limiter let it through
    expect(res.headers.get('ratelimit-remaining')).toBe('999');
    expect(await degradedGauge()).toBe(1);
  } finally {
    await startServer('redis');
  }
  const until = Date.now() + 30_000;
  while ((await degradedGauge()) !== 0 && Date.now() < until) {
    await (await hit(token)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(await degradedGauge()).toBe(0);
}, 120_000);

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
