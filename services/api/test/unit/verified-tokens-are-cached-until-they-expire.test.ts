import { SignJWT } from 'jose';
import { JwtVerifier } from '../../src/auth/jwt-verifier';

const secret = 'unit-test-secret-unit-test-secret-0123';
const key = new TextEncoder().encode(secret);
const sign = (expSeconds: number, extra: Record<string, unknown> = {}) =>
  new SignJWT({ role: 'device', ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('dev-1')
    .setIssuer('i')
    .setAudience('a')
    .setExpirationTime(expSeconds)
    .sign(key);

describe('the JWT verifier cache', () => {
  it('serves a verified token from the cache until its exp, then rejects it as expired', async () => {
    let now = Date.parse('2026-11-23T10:00:00Z');
    const verifier = new JwtVerifier({ secret, issuer: 'i', audience: 'a', clockToleranceSeconds: 0, cacheMaxEntries: 10, now: () => now });
    const token = await sign(now / 1000 + 60);
    expect(await verifier.verify(token)).toEqual({ subject: 'dev-1', role: 'device', via: 'jwt' });
    now += 59_000;
    expect((await verifier.verify(token)).subject).toBe('dev-1');
    now += 1_000;
    await expect(verifier.verify(token)).rejects.toThrow(/expired/);
  });

  it('stays bounded: the oldest entry leaves when the cache is full, and is simply verified again', async () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    const verifier = new JwtVerifier({ secret, issuer: 'i', audience: 'a', clockToleranceSeconds: 0, cacheMaxEntries: 2, now: () => now });
    const tokens = await Promise.all([1, 2, 3].map((n) => sign(now / 1000 + 60, { n })));
    for (const t of tokens) await verifier.verify(t);
    const cache = (verifier as unknown as { cache: Map<string, unknown> }).cache;
    expect([...cache.keys()]).toEqual([tokens[1], tokens[2]]);
    expect((await verifier.verify(tokens[0]!)).subject).toBe('dev-1');
  });

  it('never caches a token that failed', async () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    const verifier = new JwtVerifier({ secret, issuer: 'i', audience: 'a', clockToleranceSeconds: 0, cacheMaxEntries: 10, now: () => now });
    const bad = await new SignJWT({ role: 'device' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('dev-1')
      .setIssuer('other')
      .setAudience('a')
      .setExpirationTime(now / 1000 + 60)
      .sign(key);
    await expect(verifier.verify(bad)).rejects.toThrow(/iss/);
    await expect(verifier.verify(bad)).rejects.toThrow(/iss/);
    expect((verifier as unknown as { cache: Map<string, unknown> }).cache.size).toBe(0);
  });
});
