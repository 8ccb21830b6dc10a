import Redis from 'ioredis';
import { DeviceCache, type DeviceState } from '../../src';

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
    expect(await cache.writeManyIfNewer([b, a], 60000)).toBe(1);
    expect((await cache.read('river-3'))?.eventId).toBe(b.eventId);
  });

  it('expires entries after their TTL', async () => {
    const cache = new DeviceCache(redis, `${prefix}-ttl`);
    await cache.writeIfNewer(state('2026-11-23T10:00:00.000Z', '0190d5a0-0000-7000-8000-000000000001', 1), 1000);
    const ttl = await redis.pttl(`${prefix}-ttl:device:river-3`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
  });
});
