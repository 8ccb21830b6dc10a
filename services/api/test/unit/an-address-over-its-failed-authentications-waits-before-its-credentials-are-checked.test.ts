import type { NextFunction, Request, Response } from 'express';
import { AuthFailureLimiter } from '../../src/auth/auth-failure-limiter';
import { authenticate } from '../../src/auth/authorize';
import type { ApiKeyVerifier } from '../../src/auth/api-keys';
import { JwtVerifier } from '../../src/auth/jwt-verifier';
import { mintToken } from '../../src/auth/mint-token';
import { ProblemError } from '../../src/problem';
import { LocalWindowLimiter } from '../../src/rate-limit';

const secret = 'unit-test-secret-unit-test-secret-0123';
let now = Date.parse('2026-11-23T10:00:00Z');
const clock = () => now;

// The window is the real one-second-bucket window (the in-process form of the Redis script); no Redis here.
function limiter(limit: number) {
  const window = new LocalWindowLimiter(limit, clock);
  return new AuthFailureLimiter({ take: async (key) => window.take(key) }, limit, clock);
}

// A fake API-key verifier that must never be reached while an address is blocked.
const apiKeys = {
  verify: jest.fn(async () => {
    throw new Error('not used');
  }),
} as unknown as ApiKeyVerifier;

async function call(middleware: ReturnType<typeof authenticate>, ip: string, authorization?: string): Promise<number> {
  const req = { ip, headers: authorization ? { authorization } : {}, socket: {} } as unknown as Request;
  const res = { locals: {} } as unknown as Response;
  let outcome: unknown = 'passed';
  await middleware(req, res, ((err?: unknown) => (outcome = err ?? 'passed')) as NextFunction);
  if (outcome === 'passed') return 200;
  if (outcome instanceof ProblemError) return outcome.status;
  throw outcome;
}

describe('authentication with a limit on failures per address', () => {
  const jwt = new JwtVerifier({ secret, issuer: 'i', audience: 'a', clockToleranceSeconds: 0, cacheMaxEntries: 10 });
  let valid: string;
  beforeAll(async () => {
    valid = `Bearer ${await mintToken({ secret, issuer: 'i', audience: 'a', subject: 'dev-1', role: 'device' })}`;
  });

  it('blocks an address after `limit` failures, even for a valid token, and only that address', async () => {
    const middleware = authenticate(jwt, apiKeys, limiter(3));
    for (let i = 0; i < 3; i++) expect(await call(middleware, '192.0.2.1', 'Bearer not.a.token')).toBe(401);
    expect(await call(middleware, '192.0.2.1', 'Bearer not.a.token')).toBe(429);
    expect(await call(middleware, '192.0.2.1', valid)).toBe(429);
    expect(await call(middleware, '192.0.2.2', valid)).toBe(200);
  });

  it('does not count successes', async () => {
    const middleware = authenticate(jwt, apiKeys, limiter(3));
    for (let i = 0; i < 50; i++) expect(await call(middleware, '192.0.2.3', valid)).toBe(200);
    for (let i = 0; i < 3; i++) expect(await call(middleware, '192.0.2.3')).toBe(401);
    expect(await call(middleware, '192.0.2.3')).toBe(429);
  });

  it('lets the address in again once the window frees a slot', async () => {
    const middleware = authenticate(jwt, apiKeys, limiter(2));
    for (let i = 0; i < 3; i++) await call(middleware, '192.0.2.4', 'Bearer x.y.z');
    expect(await call(middleware, '192.0.2.4', valid)).toBe(429);
    now += 61_000;
    expect(await call(middleware, '192.0.2.4', valid)).toBe(200);
  });

  it('without a limiter, failures stay 401 however many', async () => {
    const middleware = authenticate(jwt, apiKeys);
    for (let i = 0; i < 100; i++) expect(await call(middleware, '192.0.2.5', 'Bearer x.y.z')).toBe(401);
  });

  it('never reaches the API-key lookup while the address is blocked', async () => {
    const middleware = authenticate(jwt, apiKeys, limiter(1));
    await call(middleware, '192.0.2.6', 'Bearer x.y.z');
    await call(middleware, '192.0.2.6', 'Bearer x.y.z');
    (apiKeys.verify as jest.Mock).mockClear();
    const req = { ip: '192.0.2.6', headers: { 'x-api-key': 'fgk_abc_def' }, socket: {} } as unknown as Request;
    let err: unknown;
    await middleware(req, { locals: {} } as unknown as Response, ((e?: unknown) => (err = e)) as NextFunction);
    expect((err as ProblemError).status).toBe(429);
    expect(apiKeys.verify).not.toHaveBeenCalled();
  });
});
