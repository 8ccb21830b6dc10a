import crypto from 'node:crypto';
import { bearer, startApiUnderTest, type ApiUnderTest } from '../support/api-under-test';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let release: Release | undefined;

beforeAll(async () => {
  release = await acquire('shared');
  // Behind one proxy: the client address comes from X-Forwarded-For, so the test can speak from several addresses.
  api = await startApiUnderTest({ AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY_HOPS: '1' });
}, 310_000);

afterAll(async () => {
  await api?.shutdown();
  release?.();
});

// Addresses from the IPv6 documentation range, new per run: the counts live in the stack's Redis for a minute.
const address = () => `2001:db8::${crypto.randomBytes(2).toString('hex')}:${crypto.randomBytes(2).toString('hex')}`;
const probe = (from: string, headers: Record<string, string>) =>
  fetch(`${api.url}/v1/auth-failure-probe`, { headers: { ...headers, 'x-forwarded-for': from } });

it('answers 401 to the first failures of an address, then 429 with Retry-After even to valid credentials, and no other address', async () => {
  const guesser = address();
  const bystander = address();
  const valid = await api.token('dev-1', 'device');
  const wrong = bearer(`${valid.slice(0, -4)}AAAA`); // a bad signature
  for (let i = 0; i < 3; i++) expect((await probe(guesser, wrong)).status).toBe(401);

  const blocked = await probe(guesser, wrong);
  expect(blocked.status).toBe(429);
  const problem = (await blocked.json()) as { type: string; detail: string };
  expect(blocked.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(problem.type).toBe('https://floodgate.dev/problems/rate-limited');
  expect(problem.detail).toMatch(/failed authentications/);
  const retryAfter = Number(blocked.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);

  // Blocked before its credentials are looked at: a valid token from the same address waits too.
  expect((await probe(guesser, bearer(valid))).status).toBe(429);
  // Another address is not affected, and successes are never counted.
  for (let i = 0; i < 5; i++) expect((await probe(bystander, bearer(valid))).status).toBe(404);
  expect((await probe(bystander, wrong)).status).toBe(401);
});
