import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import pg from 'pg';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';
import { createApiKey, revokeApiKey } from '../../src/auth/api-keys';
import { audience, bearer, issuer, startApiUnderTest, testSecret, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { acquire, type Release } from '../support/stack-disruption-lock';
import { apiKeySecret } from '../support/api-key-secret';

let hsApi: ApiUnderTest;
let jwksApi: ApiUnderTest;
let jwksServer: http.Server;
let db: pg.Pool;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let published: JWK[] = [];
const secret = new TextEncoder().encode(testSecret);

const event = (deviceId: string) => JSON.stringify({ deviceId, ts: '2026-11-23T10:00:00Z', metrics: { rain_mm_h: 2 } });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function claims(sub: string, role = 'device') {
  return new SignJWT({ role }).setSubject(sub).setIssuer(issuer).setAudience(audience).setIssuedAt();
}

async function post(api: ApiUnderTest, headers: Record<string, string>, body: string) {
  const res = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: text ? (JSON.parse(text) as { type: string; detail: string }) : undefined,
    www: res.headers.get('www-authenticate'),
  };
}

async function expectRejected(api: ApiUnderTest, token: string, status: 401 | 403, detail: RegExp) {
  const deviceId = 'dev-1';
  const res = await post(api, { authorization: `Bearer ${token}` }, event(deviceId));
  expect(res.status).toBe(status);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(res.body?.type).toBe(status === 401 ? 'https://floodgate.dev/problems/unauthenticated' : 'https://floodgate.dev/problems/forbidden');
  expect(res.body?.detail).toMatch(detail);
  if (status === 401) expect(res.www).toMatch(/^Bearer/);
}

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  published = [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
  jwksServer = http.createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: published })));
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  hsApi = await startApiUnderTest({ API_KEY_CACHE_TTL_MS: '200' });
  jwksApi = await startApiUnderTest({ JWT_SECRET: undefined, JWT_JWKS_URL: jwksUrl, JWT_JWKS_COOLDOWN_MS: '0' });
  db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
});

afterAll(async () => {
  await hsApi?.shutdown();
  await jwksApi?.shutdown();
  await db?.end();
  await new Promise((r) => jwksServer?.close(r));
});

describe('HS256 tokens (local setup)', () => {
  it('accepts a valid token for its own device', async () => {
    expect(
      (
        await post(
          hsApi,
          { authorization: `Bearer ${await claims('dev-1').setExpirationTime('5m').setProtectedHeader({ alg: 'HS256' }).sign(secret)}` },
          event('dev-1'),
        )
      ).status,
    ).toBe(202);
  });

  it('rejects an expired token', async () => {
    await expectRejected(
      hsApi,
      await claims('dev-1')
        .setExpirationTime(now() - 120)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(secret),
      401,
      /expired/,
    );
  });

  it('rejects a token that is not valid yet', async () => {
    await expectRejected(
      hsApi,
      await claims('dev-1')
        .setNotBefore(now() + 600)
        .setExpirationTime('20m')
        .setProtectedHeader({ alg: 'HS256' })
        .sign(secret),
      401,
      /not valid yet/,
    );
  });

  it('rejects a wrong issuer and a wrong audience', async () => {
    const wrongIss = await new SignJWT({ role: 'device' })
      .setSubject('dev-1')
      .setIssuer('someone-else')
      .setAudience(audience)
      .setExpirationTime('5m')
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
    await expectRejected(hsApi, wrongIss, 401, /iss/);
    const wrongAud = await new SignJWT({ role: 'device' })
      .setSubject('dev-1')
      .setIssuer(issuer)
      .setAudience('other-api')
      .setExpirationTime('5m')
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
    await expectRejected(hsApi, wrongAud, 401, /aud/);
  });

  it('rejects a token without exp', async () => {
    await expectRejected(hsApi, await claims('dev-1').setProtectedHeader({ alg: 'HS256' }).sign(secret), 401, /exp/);
  });

  it('rejects alg "none"', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'dev-1', role: 'device', iss: issuer, aud: audience, exp: now() + 300 })}.`;
    await expectRejected(hsApi, unsigned, 401, /algorithm/);
  });

  it('rejects a tampered signature and a tampered payload', async () => {
    const token = await claims('dev-1').setExpirationTime('5m').setProtectedHeader({ alg: 'HS256' }).sign(secret);
    const [h, p, s] = token.split('.');
    const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    await expectRejected(hsApi, flipped, 401, /signature/);
    const admin = `${h}.${b64({ sub: 'dev-1', role: 'admin', iss: issuer, aud: audience, exp: now() + 300 })}.${s}`;
    await expectRejected(hsApi, admin, 401, /signature/);
  });

  it('rejects a token without a known role', async () => {
    await expectRejected(hsApi, await claims('dev-1', 'superuser').setExpirationTime('5m').setProtectedHeader({ alg: 'HS256' }).sign(secret), 401, /role/);
  });

  it('forbids a device to write another device id, and nothing of the batch is accepted', async () => {
    const token = await hsApi.token('dev-1', 'device');
    const res = await post(hsApi, bearer(token), JSON.stringify({ events: [JSON.parse(event('dev-1')), JSON.parse(event('dev-2'))] }));
    expect(res.status).toBe(403);
    expect(res.body?.detail).toMatch(/only write its own deviceId/);
    expect((res.body as unknown as { errors: { index: number }[] }).errors).toEqual([expect.objectContaining({ index: 1 })]);
  });

  it('forbids a viewer to write events and a device to manage rules', async () => {
    await expectRejected(hsApi, await hsApi.token('ops-dashboard', 'viewer'), 403, /role viewer/);
    const res = await fetch(`${hsApi.url}/v1/alert-rules/${crypto.randomUUID()}`, { method: 'DELETE', headers: bearer(await hsApi.token('dev-1', 'device')) });
    expect(res.status).toBe(403);
  });

  it('answers 401 without credentials', async () => {
    const res = await post(hsApi, {}, event('dev-1'));
    expect(res.status).toBe(401);
    expect(res.www).toMatch(/^Bearer/);
  });
});

describe('RS256 tokens from a JWKS (production setup)', () => {
  it('accepts a token signed with the published key', async () => {
    const token = await claims('dev-1').setExpirationTime('5m').setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(rsa.privateKey);
    expect((await post(jwksApi, { authorization: `Bearer ${token}` }, event('dev-1'))).status).toBe(202);
  });

  it('rejects an HS256 token whose HMAC key is the RS256 public key (algorithm confusion)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const forged = await claims('dev-1', 'admin').setExpirationTime('5m').setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode(pem));
    await expectRejected(jwksApi, forged, 401, /algorithm/);
  });

  it('rejects a token signed by a key that is not published, even with a published kid', async () => {
    const intruder = await generateKeyPair('RS256');
    await expectRejected(
      jwksApi,
      await claims('dev-1').setExpirationTime('5m').setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(intruder.privateKey),
      401,
      /signature/,
    );
  });

  it('accepts a rotated key once the JWKS publishes it, without a restart', async () => {
    const next = await generateKeyPair('ES256', { extractable: true });
    const token = await claims('dev-1').setExpirationTime('5m').setProtectedHeader({ alg: 'ES256', kid: 'k2' }).sign(next.privateKey);
    await expectRejected(jwksApi, token, 401, /no key matches/);
    published = [...published, { ...(await exportJWK(next.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' }];
    expect((await post(jwksApi, { authorization: `Bearer ${token}` }, event('dev-1'))).status).toBe(202);
  });
});

describe('API keys', () => {
  it('accepts a live key and refuses it once revoked (within the key cache TTL)', async () => {
    const deviceId = uniqueDevice('keyed');
    const minted = await createApiKey(db, { name: 'test', subject: deviceId, role: 'device' });
    const stored = await db.query('SELECT key_hash FROM api_keys WHERE id = $1', [minted.id]);
    expect(stored.rows[0].key_hash).not.toContain(apiKeySecret(minted.key)); // only the hash is stored
    expect((await post(hsApi, { 'x-api-key': minted.key }, event(deviceId))).status).toBe(202);
    expect(await revokeApiKey(db, minted.id)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const res = await post(hsApi, { 'x-api-key': minted.key }, event(deviceId));
    expect(res.status).toBe(401);
    expect(res.body?.detail).toMatch(/revoked/);
  });

  it('refuses an unknown key and a key with a right prefix but wrong secret', async () => {
    const minted = await createApiKey(db, { name: 'test', subject: 'dev-9', role: 'device' });
    const wrong = `${minted.key.slice(0, -4)}AAAA` === minted.key ? `${minted.key.slice(0, -4)}BBBB` : `${minted.key.slice(0, -4)}AAAA`;
    expect((await post(hsApi, { 'x-api-key': wrong }, event('dev-9'))).status).toBe(401);
    expect((await post(hsApi, { 'x-api-key': 'fgk_nosuchprefix0_' + 'a'.repeat(43) }, event('dev-9'))).status).toBe(401);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
