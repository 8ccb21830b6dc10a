/**
 * A principal whose limit allows leases (RATE_LIMIT_PER_MINUTE=5,000: leases of up to 5 requests) is counted in the
 * real Redis window lease by lease: the API never admits more than the limit, the window holds exactly the limit once
 * it is reached, and the next request gets 429.
 */
import Redis from 'ioredis';
import { bearer, startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { acquire, type Release } from '../support/stack-disruption-lock';

const limit = 5000;
const prefix = `leases-${process.pid}`;
let api: ApiUnderTest;
let redis: Redis;

let release: Release | undefined;
beforeAll(async () => {
  release = await acquire('shared');
  api = await startApiUnderTest({ RATE_LIMIT_PER_MINUTE: String(limit), RATE_LIMIT_LEASE_MAX: '64', REDIS_KEY_PREFIX: prefix });
  redis = new Redis(process.env.REDIS_URL!);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await api?.shutdown();
}, 60_000);

it('admits at most the limit, counts exactly the limit in Redis, and answers the next request with 429', async () => {
  const subject = uniqueDevice('gateway');
  const token = await api.token(subject, 'gateway');
  const statuses: number[] = [];
  // Bursts of 50 concurrent requests, 100 requests past the limit.
  for (let i = 0; i < limit + 100; i += 50) {
    const burst = await Promise.all(Array.from({ length: 50 }, () => fetch(`${api.url}/v1/rate-limit-probe`, { headers: bearer(token) })));
    for (const res of burst) {
      statuses.push(res.status);
      await res.arrayBuffer();
    }
  }
  const served = statuses.filter((s) => s === 404).length; // authenticated, past the limiter, no such route
  expect(served + statuses.filter((s) => s === 429).length).toBe(statuses.length);
  expect(served).toBeLessThanOrEqual(limit);
  // At most the unspent part of one lease (5) may be dropped, e.g. if the process stalled for a second.
  expect(served).toBeGreaterThanOrEqual(limit - 5);
  const counts = Object.values(await redis.hgetall(`${prefix}:ratelimit:sub:gateway:${subject}`)).map(Number);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(limit);

  const next = await fetch(`${api.url}/v1/rate-limit-probe`, { headers: bearer(token) });
  expect(next.status).toBe(429);
  expect(next.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(next.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}, 120_000);

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
