/**
 * OWASP API2:2023, broken authentication. Beyond what only-valid-credentials-get-in.test.ts proves (expired,
 * not yet valid, wrong iss/aud, alg "none", tampered signature, unknown role, HS256 signed with the RS256 public
 * key, an unpublished key, key rotation, revoked and unknown API keys), this file attacks the verifier itself:
 * algorithms other than the pinned one, header parameters that name their own key (kid, jku, x5u, jwk, crit),
 * claims of the wrong type, credentials sent anywhere but the two headers, guessing API keys, and secrets in logs.
 *
 * Token lifetime: the design sets no maximum (it is the identity provider's policy), so a far-future `exp` is not
 * refused; every token must carry one (requiredClaims exp and sub).
 *
 * Guessing API keys: a key is `fgk_<12-char prefix>_<256-bit secret>`, compared as SHA-256 hashes in constant
 * time, so guessing is hopeless at any rate. Failed attempts are not throttled by the API (its limiter counts
 * authenticated principals); what this file proves is that a failure says nothing (the same answer for an unknown
 * prefix and a wrong secret) and that a flood of guesses neither lets one in nor locks the owner out. Throttling
 * unauthenticated traffic per client address belongs at the ingress; see docs/security.md.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createApiKey, revokeApiKey } from '../../src/auth/api-keys';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { audience, issuer, startApiUnderTest, testSecret, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { call, expectProblem } from '../support/http-calls';
import { acquire, type Release } from '../support/stack-disruption-lock';
import { apiKeySecret } from '../support/api-key-secret';

let hsApi: ApiUnderTest;
let jwksApi: ApiUnderTest;
let db: pg.Pool;
let idp: http.Server;
let attacker: http.Server;
let idpFetches = 0;
const attackerRequests: string[] = [];
let published: JWK[] = [];
let idpKey: Awaited<ReturnType<typeof generateKeyPair>>;
let attackerKey: Awaited<ReturnType<typeof generateKeyPair>>;
let attackerUrl: string;
const secret = new TextEncoder().encode(testSecret);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const deviceId = uniqueDevice('api2');
const event = () => ({ deviceId, ts: new Date().toISOString(), metrics: { rain_mm_h: 1 } });

/** A JWS signed by hand with HMAC, for headers and algorithms jose would refuse to produce. */
function hmacToken(header: Record<string, unknown>, claims: Record<string, unknown>, key: string | Uint8Array, hash = 'sha256'): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${crypto.createHmac(hash, key).update(input).digest('base64url')}`;
}

const goodClaims = (extra: Record<string, unknown> = {}) => ({
  sub: deviceId,
  role: 'device',
  iss: issuer,
  aud: audience,
  iat: now(),
  exp: now() + 300,
  ...extra,
});

async function listen(handler: http.RequestListener): Promise<[http.Server, string]> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
}

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  idpKey = await generateKeyPair('RS256', { extractable: true });
  attackerKey = await generateKeyPair('RS256', { extractable: true });
  published = [{ ...(await exportJWK(idpKey.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }];
  const attackerJwks = { keys: [{ ...(await exportJWK(attackerKey.publicKey)), kid: 'evil', alg: 'RS256', use: 'sig' }] };
  let idpUrl: string;
  [idp, idpUrl] = await listen((_req, res) => {
    idpFetches++;
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: published }));
  });
  [attacker, attackerUrl] = await listen((req, res) => {
    attackerRequests.push(req.url ?? '');
    res.setHeader('content-type', 'application/json').end(JSON.stringify(attackerJwks));
  });
  hsApi = await startApiUnderTest({ API_KEY_CACHE_TTL_MS: '0', RATE_LIMIT_PER_MINUTE: '100000' });
  // A long cooldown: an unknown kid may trigger at most one refetch for the whole file.
  jwksApi = await startApiUnderTest({ JWT_SECRET: undefined, JWT_JWKS_URL: `${idpUrl}/jwks.json`, JWT_JWKS_COOLDOWN_MS: '600000' });
  db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
});

afterAll(async () => {
  await hsApi?.shutdown();
  await jwksApi?.shutdown();
  await db?.end();
  await new Promise((r) => idp?.close(r));
  await new Promise((r) => attacker?.close(r));
});

async function expectUnauthenticated(url: string, headers: Record<string, string>, detail?: RegExp) {
  const res = await call(url, 'POST', '/v1/events', { body: event(), headers });
  const problem = expectProblem(res, 401, 'unauthenticated');
  expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  if (detail) expect(problem.detail).toMatch(detail);
}

describe('the HS256 verifier accepts only HS256 tokens with every claim right', () => {
  it('accepts a hand-made HS256 token (so the refusals below are about what they change)', async () => {
    const res = await call(hsApi.url, 'POST', '/v1/events', {
      body: event(),
      headers: { authorization: `Bearer ${hmacToken({ alg: 'HS256' }, goodClaims(), testSecret)}` },
    });
    expect(res.status).toBe(202);
  });

  it.each<[string, () => Promise<string> | string, RegExp]>([
    ['no exp', () => hmacToken({ alg: 'HS256' }, { ...goodClaims(), exp: undefined }, testSecret), /exp/],
    ['exp as a string', () => hmacToken({ alg: 'HS256' }, goodClaims({ exp: String(now() + 300) }), testSecret), /exp/],
    ['HS384 with the right secret', () => hmacToken({ alg: 'HS384' }, goodClaims(), testSecret, 'sha384'), /algorithm/],
    ['HS512 with the right secret', () => hmacToken({ alg: 'HS512' }, goodClaims(), testSecret, 'sha512'), /algorithm/],
    ['alg "None"', () => `${b64({ alg: 'None' })}.${b64(goodClaims())}.`, /algorithm/],
    ['alg "NONE" with a signature', () => `${b64({ alg: 'NONE' })}.${b64(goodClaims())}.${b64('sig')}`, /algorithm/],
    ['alg "hs256" (case)', () => hmacToken({ alg: 'hs256' }, goodClaims(), testSecret), /algorithm/],
    ['no alg at all', () => hmacToken({ typ: 'JWT' }, goodClaims(), testSecret), /algorithm/],
    [
      'RS256 signed by an attacker key',
      () =>
        new SignJWT({ role: 'admin' })
          .setProtectedHeader({ alg: 'RS256' })
          .setSubject(deviceId)
          .setIssuer(issuer)
          .setAudience(audience)
          .setExpirationTime('5m')
          .sign(attackerKey.privateKey),
      /algorithm/,
    ],
    [
      'kid pointing at an empty file, signed with an empty key',
      () => hmacToken({ alg: 'HS256', kid: '../../../../../../dev/null' }, goodClaims(), ''),
      /signature/,
    ],
    [
      'kid carrying SQL, signed with the injected value',
      () => hmacToken({ alg: 'HS256', kid: "x' UNION SELECT 'k' --" }, goodClaims({ role: 'admin' }), 'k'),
      /signature/,
    ],
    ['an unknown critical header', () => hmacToken({ alg: 'HS256', crit: ['exp-policy'], 'exp-policy': 'none' }, goodClaims(), testSecret), /not valid/],
    ['role as an array', () => hmacToken({ alg: 'HS256' }, goodClaims({ role: ['admin'] }), testSecret), /role/],
    ['role in another case', () => hmacToken({ alg: 'HS256' }, goodClaims({ role: 'ADMIN' }), testSecret), /role/],
    ['sub as a number', () => hmacToken({ alg: 'HS256' }, goodClaims({ sub: 42 }), testSecret), /sub/],
    ['an empty sub', () => hmacToken({ alg: 'HS256' }, goodClaims({ sub: '' }), testSecret), /sub/],
    ['a 129-character sub', () => hmacToken({ alg: 'HS256' }, goodClaims({ sub: 's'.repeat(129) }), testSecret), /sub/],
    ['no aud', () => hmacToken({ alg: 'HS256' }, { ...goodClaims(), aud: undefined }, testSecret), /aud/],
    ['only two segments', () => hmacToken({ alg: 'HS256' }, goodClaims(), testSecret).split('.').slice(0, 2).join('.'), /not a JWT|not valid/],
    ['five segments (a JWE shape)', () => `${b64({ alg: 'dir', enc: 'A256GCM' })}..${b64('iv')}.${b64('ct')}.${b64('tag')}`, /not valid|algorithm|not a JWT/],
  ])('refuses %s', async (_name, make, detail) => {
    await expectUnauthenticated(hsApi.url, { authorization: `Bearer ${await make()}` }, detail);
  });
});

describe('the JWKS verifier trusts only keys from its configured JWKS URL', () => {
  it('accepts the identity provider key and never fetches a key from a URL or JWK inside the token', async () => {
    const sign = (header: Record<string, unknown>, key: Parameters<SignJWT['sign']>[0], role = 'admin') =>
      new SignJWT({ role })
        .setProtectedHeader({ alg: 'RS256', ...header })
        .setSubject(deviceId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime('5m')
        .sign(key);
    const good = await sign({ kid: 'idp-1' }, idpKey.privateKey, 'device');
    expect((await call(jwksApi.url, 'POST', '/v1/events', { body: event(), headers: { authorization: `Bearer ${good}` } })).status).toBe(202);

    const attackerJwk = await exportJWK(attackerKey.publicKey);
    await expectUnauthenticated(jwksApi.url, {
      authorization: `Bearer ${await sign({ kid: 'evil', jku: `${attackerUrl}/jwks.json` }, attackerKey.privateKey)}`,
    });
    await expectUnauthenticated(jwksApi.url, {
      authorization: `Bearer ${await sign({ kid: 'evil', x5u: `${attackerUrl}/cert.pem` }, attackerKey.privateKey)}`,
    });
    await expectUnauthenticated(jwksApi.url, { authorization: `Bearer ${await sign({ jwk: attackerJwk }, attackerKey.privateKey)}` });
    await expectUnauthenticated(
      jwksApi.url,
      { authorization: `Bearer ${await sign({ kid: 'idp-1', jwk: attackerJwk }, attackerKey.privateKey)}` },
      /signature/,
    );
    expect(attackerRequests).toEqual([]);
  });

  it('answers a flood of unknown kids from the cached key set: at most one refetch per cooldown, not one per token', async () => {
    const before = idpFetches;
    for (let i = 0; i < 40; i++) {
      const token = await new SignJWT({ role: 'device' })
        .setProtectedHeader({ alg: 'RS256', kid: `random-${crypto.randomUUID()}` })
        .setSubject(deviceId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime('5m')
        .sign(attackerKey.privateKey);
      await expectUnauthenticated(jwksApi.url, { authorization: `Bearer ${token}` }, /no key matches/);
    }
    expect(idpFetches - before).toBeLessThanOrEqual(1);
  });
});

describe('credentials count only in the Authorization and X-API-Key headers', () => {
  it('ignores a valid token or API key in the query string, a cookie, or a Basic header', async () => {
    const token = await hsApi.token(deviceId, 'device');
    const key = (await createApiKey(db, { name: 'api2-query', subject: deviceId, role: 'device' })).key;
    for (const query of [`access_token=${token}`, `token=${token}`, `jwt=${token}`, `api_key=${key}`, `apiKey=${key}`, `key=${key}`, `x-api-key=${key}`]) {
      const res = await call(hsApi.url, 'POST', `/v1/events?${query}`, { body: event() });
      expectProblem(res, 401, 'unauthenticated');
    }
    await expectUnauthenticated(hsApi.url, { cookie: `token=${token}; api_key=${key}` });
    await expectUnauthenticated(hsApi.url, { authorization: `Basic ${Buffer.from(`${deviceId}:${key}`).toString('base64')}` }, /Bearer/);
    await expectUnauthenticated(hsApi.url, { authorization: `Bearer ${token} extra` }, /Bearer/);
    // The same credentials in their headers work.
    expect((await call(hsApi.url, 'POST', '/v1/events', { token, body: event() })).status).toBe(202);
    expect((await call(hsApi.url, 'POST', '/v1/events', { apiKey: key, body: event() })).status).toBe(202);
  });
});

describe('API keys', () => {
  it('refuses a revoked key and an expired key', async () => {
    const revoked = await createApiKey(db, { name: 'api2-revoked', subject: deviceId, role: 'admin' });
    expect((await call(hsApi.url, 'GET', '/v1/alert-rules', { apiKey: revoked.key })).status).toBe(200);
    expect(await revokeApiKey(db, revoked.prefix)).toBe(true);
    await expectUnauthenticated(hsApi.url, { 'x-api-key': revoked.key }, /revoked/);
    const expired = await createApiKey(db, { name: 'api2-expired', subject: deviceId, role: 'admin', expiresAt: new Date(Date.now() - 1000) });
    await expectUnauthenticated(hsApi.url, { 'x-api-key': expired.key }, /expired/);
  });

  it('answers 300 guesses the same way whether the prefix exists or not, lets none in, and does not lock the owner out', async () => {
    const owned = await createApiKey(db, { name: 'api2-guessed', subject: deviceId, role: 'device' });
    const guess = (prefix: string) => `fgk_${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
    const randomPrefix = () => Array.from(crypto.randomBytes(12), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
    const details = new Set<string>();
    const statuses = new Set<number>();
    for (let i = 0; i < 300; i += 20) {
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, j) => call(hsApi.url, 'POST', '/v1/events', { apiKey: guess(j % 2 ? owned.prefix : randomPrefix()), body: event() })),
      );
      for (const r of replies) {
        statuses.add(r.status);
        details.add(String(r.body?.detail));
      }
    }
    expect([...statuses]).toEqual([401]);
    expect([...details]).toEqual(['the API key is not valid']);
    expect((await call(hsApi.url, 'POST', '/v1/events', { apiKey: owned.key, body: event() })).status).toBe(202);
  });
});

describe('logs', () => {
  let proc: ApiProcess | undefined;
  afterAll(async () => {
    await proc?.stop();
  });

  it('never contain a token or an API key, wherever the client put it, even at debug level', async () => {
    proc = await startApiProcess({ env: { LOG_LEVEL: 'debug' } });
    const token = await new SignJWT({ role: 'device' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(deviceId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(secret);
    const key = (await createApiKey(db, { name: 'api2-logs', subject: deviceId, role: 'device' })).key;
    const signature = token.split('.')[2]!;
    const keySecret = apiKeySecret(key);
    await call(proc.url, 'POST', '/v1/events', { token, body: event() });
    await call(proc.url, 'POST', '/v1/events', { apiKey: key, body: event() });
    await call(proc.url, 'POST', `/v1/events?access_token=${token}&api_key=${key}`, { body: event() });
    await call(proc.url, 'GET', `/v1/devices/${token}`, { token });
    await call(proc.url, 'GET', `/v1/${key}`, { apiKey: key });
    await call(proc.url, 'POST', '/v1/events', { headers: { authorization: `Bearer ${token}x` }, body: event() });
    await call(proc.url, 'POST', '/v1/events', { apiKey: `${key}x`, body: '{not json' });
    await call(proc.url, 'GET', `/healthz?token=${token}`);
    const exit = await proc.stop();
    expect(exit.code).toBe(0);
    const output = proc.output();
    expect(output).toMatch(/"msg":"shut down"/); // the logs were captured
    for (const secretPart of [signature, keySecret, testSecret]) expect(output).not.toContain(secretPart);
  }, 90_000);
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
