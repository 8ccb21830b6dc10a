import crypto from 'node:crypto';
import Redis from 'ioredis';
import { DeviceCache, deviceKey } from '@floodgate/cache';
import { createLogger } from '@floodgate/config';
import { createMetrics } from '../../src/metrics';
import { fillFromReplica } from '../../src/routes/device-routes';
import { bearer, startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { insertDevice, insertReadings, pools, untilReplicaHas } from '../support/database';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let db: ReturnType<typeof pools>;
let redis: Redis;
let cache: DeviceCache;
let viewer: string;

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest({ CACHE_FILL_TTL_MS: '4000' });
  db = pools();
  redis = new Redis(process.env.REDIS_URL!);
  cache = new DeviceCache(redis, 'floodgate');
  viewer = await api.token('dashboard', 'viewer');
});

afterAll(async () => {
  await api?.shutdown();
  await db?.primary.end();
  await db?.replica.end();
  await redis?.quit();
});

const get = (path: string, token = viewer) => fetch(`${api.url}${path}`, { headers: bearer(token) });

describe('GET /v1/devices/{id}', () => {
  it('fills a miss from the replica with a short TTL, then serves hits from Redis', async () => {
    const deviceId = uniqueDevice('gauge');
    const eventId = crypto.randomUUID();
    await insertDevice(db.primary, deviceId, eventId, '2026-11-23T08:00:00Z', { river_level_m: 2.4 });
    await untilReplicaHas(db.replica, 'SELECT 1 FROM devices WHERE device_id = $1', [deviceId]);

    const first = await get(`/v1/devices/${deviceId}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(await first.json()).toEqual(expect.objectContaining({ deviceId, eventId, ts: '2026-11-23T08:00:00.000Z', metrics: { river_level_m: 2.4 } }));
    const ttl = await redis.pttl(deviceKey('floodgate', deviceId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(4000);

    const second = await get(`/v1/devices/${deviceId}`);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(((await second.json()) as { eventId: string }).eventId).toBe(eventId);
  });

  it('a fill from a lagging replica never overwrites a newer state the worker put in Redis, and returns the newer one', async () => {
    const deviceId = uniqueDevice('lagging');
    const old = crypto.randomUUID();
    await insertDevice(db.primary, deviceId, old, '2026-11-23T08:00:00Z', { rain_mm_h: 1 });
    await untilReplicaHas(db.replica, 'SELECT 1 FROM devices WHERE device_id = $1', [deviceId]);
    // The worker has committed a newer event and refreshed the cache; the replica has not replayed it yet.
    const newer = { deviceId, eventId: crypto.randomUUID(), ts: '2026-11-23T09:00:00.000Z', metrics: { rain_mm_h: 30 }, updatedAt: new Date().toISOString() };
    expect(await cache.writeIfNewer(newer, 60_000)).toBe(true);

    const filled = await fillFromReplica(
      { replica: db.replica, cache, cacheFillTtlMs: 4000, metrics: createMetrics(), logger: createLogger('test', 'silent') },
      deviceId,
    );
    expect(filled?.eventId).toBe(newer.eventId);
    expect((await cache.read(deviceId))?.eventId).toBe(newer.eventId);
    expect(((await (await get(`/v1/devices/${deviceId}`)).json()) as { metrics: object }).metrics).toEqual({ rain_mm_h: 30 });
  });

  it('answers 404 for a device never seen and 400 for an invalid id', async () => {
    expect((await get(`/v1/devices/${uniqueDevice('ghost')}`)).status).toBe(404);
    expect((await get(`/v1/devices/${encodeURIComponent('../etc/passwd')}`)).status).toBe(400);
  });

  it('is for viewers, operators and admins: a device token gets 403', async () => {
    expect((await get(`/v1/devices/x`, await api.token('x', 'device'))).status).toBe(403);
  });
});

describe('GET /v1/devices/{id}/readings', () => {
  it('pages through the history newest first with a cursor, without gaps or repeats, within from/to', async () => {
    const deviceId = uniqueDevice('history');
    const base = Date.parse('2026-11-23T00:00:00Z');
    // 25 readings; two share a timestamp so the cursor must order by event id too.
    const readings = Array.from({ length: 25 }, (_, i) => ({
      eventId: crypto.randomUUID(),
      ts: new Date(base + Math.min(i, 23) * 60_000).toISOString(),
      metrics: { rain_mm_h: i },
    }));
    await insertReadings(db.primary, deviceId, readings);
    await untilReplicaHas(db.replica, 'SELECT 1 FROM readings WHERE device_id = $1 HAVING count(*) = 25', [deviceId]);

    const seen: { eventId: string; ts: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/v1/devices/${deviceId}/readings?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { readings: { eventId: string; ts: string }[]; nextCursor: string | null };
      seen.push(...page.readings);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen.map((r) => r.eventId)).size).toBe(25);
    expect(seen.map((r) => r.ts)).toEqual([...seen.map((r) => r.ts)].sort().reverse());

    const window = (await (await get(`/v1/devices/${deviceId}/readings?from=2026-11-23T00:05:00Z&to=2026-11-23T00:10:00Z`)).json()) as {
      readings: { metrics: { rain_mm_h: number } }[];
    };
    expect(window.readings.map((r) => r.metrics.rain_mm_h)).toEqual([9, 8, 7, 6, 5]);
  });

  it('refuses a forged cursor and a bad limit with 400', async () => {
    expect((await get(`/v1/devices/d1/readings?cursor=${Buffer.from('{"t":"x","id":"y"}').toString('base64url')}`)).status).toBe(400);
    expect((await get(`/v1/devices/d1/readings?limit=100000`)).status).toBe(400);
    expect((await get(`/v1/devices/d1/readings?from=yesterday`)).status).toBe(400);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
