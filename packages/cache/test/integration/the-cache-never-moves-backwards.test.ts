import Redis from 'ioredis';
import { CAS_DEVICES_PER_CALL, DeviceCache, deviceCacheEntry, deviceKey, deviceOrderField, orderIsEvent, type DeviceState } from '../../src';

let redis: Redis;
const prefix = `test-${process.pid}`;
const state = (ts: string, eventId: string, rain: number): DeviceState => ({
  deviceId: 'river-3',
  eventId,
  ts,
  metrics: { rain_mm_h: rain },
  updatedAt: new Date().toISOString(),
});

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
});
afterAll(async () => {
  await redis.quit();
});

describe('device cache compare-and-set (real Redis)', () => {
  it('keeps the newest state by event time whatever the write order', async () => {
    const cache = new DeviceCache(redis, prefix);
    const newer = state('2026-11-23T10:00:05.000Z', '0190d5a0-0000-7000-8000-000000000002', 30);
    const older = state('2026-11-23T10:00:01.000Z', '0190d5a0-0000-7000-8000-000000000001', 10);
    expect(await cache.writeIfNewer(newer, 60000)).toBe(true);
    expect(await cache.writeIfNewer(older, 60000)).toBe(false); // a late replica fill or a replay
    expect(await cache.writeIfNewer(newer, 60000)).toBe(false); // the same state again is a no-op
    expect((await cache.read('river-3'))?.metrics.rain_mm_h).toBe(30);
  });

  it('breaks a tie in event time by event id, as the database does', async () => {
    const cache = new DeviceCache(redis, `${prefix}-tie`);
    const a = state('2026-11-23T10:00:00.000Z', '0190d5a0-0000-7000-8000-00000000000a', 1);
    const b = state('2026-11-23T10:00:00.000Z', '0190d5a0-0000-7000-8000-00000000000b', 2);
    expect(await cache.writeManyIfNewer([b, a].map(deviceCacheEntry), 60000)).toBe(1);
    expect((await cache.read('river-3'))?.eventId).toBe(b.eventId);
    // The order field names the event whose state is cached, and only that one.
    const order = await redis.hget(deviceKey(`${prefix}-tie`, 'river-3'), deviceOrderField);
    expect(order).toBe(`001795428000000|${b.eventId}`);
    expect(orderIsEvent(order, b.eventId)).toBe(true);
    expect(orderIsEvent(order, a.eventId)).toBe(false);
    expect(orderIsEvent(null, b.eventId)).toBe(false);
  });

  it('compares and sets each device on its own when many are written at once, across several script calls', async () => {
    const cache = new DeviceCache(redis, `${prefix}-many`);
    const n = CAS_DEVICES_PER_CALL * 2 + 7; // three script calls in one pipeline
    const at = (second: number) => `2026-11-23T10:00:${String(second).padStart(2, '0')}.000Z`;
    const id = (k: number) => `0190d5a0-0000-7000-8000-${k.toString(16).padStart(12, '0')}`;
    const device = (k: number, second: number, rain: number): DeviceState => ({
      deviceId: `many-${k}`,
      eventId: id(k),
      ts: at(second),
      metrics: { rain_mm_h: rain },
      updatedAt: new Date().toISOString(),
    });
    // Every device first at second 10.
    expect(
      await cache.writeManyIfNewer(
        Array.from({ length: n }, (_, k) => deviceCacheEntry(device(k, 10, 1))),
        60000,
      ),
    ).toBe(n);
    // Then the even devices newer (second 20), the odd ones older (second 5): only the even ones land.
    const mixed = Array.from({ length: n }, (_, k) => device(k, k % 2 === 0 ? 20 : 5, 2));
    expect(await cache.writeManyIfNewer(mixed.map(deviceCacheEntry), 60000)).toBe(Math.ceil(n / 2));
    for (const k of [0, 1, CAS_DEVICES_PER_CALL, CAS_DEVICES_PER_CALL + 1, n - 2, n - 1]) {
      const got = await cache.read(`many-${k}`);
      expect(got?.ts).toBe(at(k % 2 === 0 ? 20 : 10));
      expect(got?.metrics.rain_mm_h).toBe(k % 2 === 0 ? 2 : 1);
    }
    // The same device twice in one call: the newer state wins whichever comes first, and counts once.
    const first = { ...device(0, 30, 3), deviceId: 'many-twice' };
    const second = { ...device(0, 25, 4), deviceId: 'many-twice' };
    expect(await cache.writeManyIfNewer([first, second].map(deviceCacheEntry), 60000)).toBe(1);
    expect((await cache.read('many-twice'))?.metrics.rain_mm_h).toBe(3);
    expect(
      await cache.writeManyIfNewer(
        [
          { ...second, ts: at(40) },
          { ...first, ts: at(45) },
        ].map(deviceCacheEntry),
        60000,
      ),
    ).toBe(2);
    expect((await cache.read('many-twice'))?.metrics.rain_mm_h).toBe(3);
  });

  it('expires entries after their TTL', async () => {
    const cache = new DeviceCache(redis, `${prefix}-ttl`);
    await cache.writeIfNewer(state('2026-11-23T10:00:00.000Z', '0190d5a0-0000-7000-8000-000000000001', 1), 1000);
    const ttl = await redis.pttl(`${prefix}-ttl:device:river-3`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
  });
});
