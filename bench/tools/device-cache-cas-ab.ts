/**
 * The device cache's compare-and-set, written the previous way (one script call per device, in one pipeline) and the
 * current way (DeviceCache.writeManyIfNewer: one call per 500 devices), in turns on the local stack's Redis. Prints
 * the wall time, this process's CPU and Redis's CPU (INFO cpu) per device written, for each turn.
 *
 *   make up && eval "$(make -s env)"
 *   npx tsx bench/tools/device-cache-cas-ab.ts [devices per write] [writes per turn]
 *
 * Every write is newer than the last (rising event times), so every device is written, as after a worker's commit.
 * The client's CPU includes building the states, the same for both. Keys: ab-old:* and ab-new:*, with a 60 s TTL.
 */
import Redis from 'ioredis';
import { DeviceCache, deviceCacheEntry, type DeviceState } from '@floodgate/cache';

// The previous script (before the per-call batching), verbatim.
const OLD = `
local current = redis.call('HGET', KEYS[1], 'order')
local order = string.format('%015d', tonumber(ARGV[1])) .. '|' .. ARGV[2]
if current and current >= order then
  return 0
end
redis.call('HSET', KEYS[1], 'order', order, 'state', ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
`;
const redis = new Redis(process.env.REDIS_URL!);
redis.defineCommand('oldCas', { numberOfKeys: 1, lua: OLD });
const cache = new DeviceCache(redis, 'ab-new');
async function oldWrite(states: DeviceState[]) {
  const p = redis.pipeline() as unknown as { oldCas(...args: string[]): void; exec(): Promise<unknown> };
  for (const s of states) p.oldCas(`ab-old:device:${s.deviceId}`, String(Date.parse(s.ts)), s.eventId, JSON.stringify(s), '60000');
  await p.exec();
}
const redisCpu = async () => {
  const info = await redis.info('cpu');
  const m = /used_cpu_sys:([\d.]+)[\s\S]*used_cpu_user:([\d.]+)/.exec(info)!;
  return Number(m[1]) + Number(m[2]);
};
void (async () => {
  const size = Number(process.argv[2] ?? 900);
  const rounds = Number(process.argv[3] ?? 200);
  let t = 0;
  const batch = () =>
    Array.from({ length: size }, (_, k): DeviceState => ({
      deviceId: `lat-${k}`,
      eventId: `0193b000-0000-7000-8000-${(++t).toString(16).padStart(12, '0')}`,
      ts: new Date(1_800_000_000_000 + t).toISOString(),
      metrics: { rain_mm_h: 1 },
      updatedAt: new Date().toISOString(),
    }));
  for (let pass = 0; pass < 4; pass++)
    for (const [name, fn] of [
      ['per device', oldWrite],
      ['per 500', (s: DeviceState[]) => cache.writeManyIfNewer(s.map(deviceCacheEntry), 60000)],
    ] as const) {
      const r0 = await redisCpu();
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      for (let i = 0; i < rounds; i++) await fn(batch());
      const wall = performance.now() - w0;
      const c = process.cpuUsage(c0);
      const r = (await redisCpu()) - r0;
      const n = size * rounds;
      console.log(
        `${name.padEnd(10)} wall ${((wall * 1000) / n).toFixed(2)} µs/device, client cpu ${((c.user + c.system) / n).toFixed(2)} µs/device, redis cpu ${((r * 1e6) / n).toFixed(2)} µs/device`,
      );
    }
  redis.disconnect();
})();
