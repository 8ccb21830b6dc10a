/**
 * Cached device reads: GET /v1/devices/{id} for 1,000 devices whose state is in Redis (as the worker leaves it), at
 * 64 connections. Ceilings in the same run: a bare Express 5 GET handler at the same connections (issue #3: >= 60 %,
 * p99 <= 10 ms) and redis-benchmark GET on the stack's Redis with the same value size and clients.
 */
import Redis from 'ioredis';
import { DeviceCache, deviceCacheEntry, type DeviceState } from '@floodgate/cache';
import { redisBenchmarkGet } from '../harness/ceilings';
import { httpLoad } from '../harness/load';
import { counterValue } from '../harness/metrics-text';
import { withResources } from '../harness/resources';
import type { Scenario } from '../harness/scenario';
import { benchToken, runId, startApi, startBareExpress } from '../harness/services';

const connections = 64;
const devices = 1000;

const scenario: Scenario = {
  name: 'cached-reads',
  description: `Cached device reads (GET /v1/devices/{id}, ${devices} devices in Redis) at ${connections} connections vs a bare Express 5 GET and redis-benchmark GET.`,
  needs: ['kafka', 'postgres', 'redis'],
  order: 30,
  run: (ctx) =>
    withResources(ctx.log, async (res) => {
      const prefix = `bench-${runId()}`;
      const redis = new Redis(ctx.stack.REDIS_URL!);
      res.defer(() => redis.quit());
      const cache = new DeviceCache(redis, prefix);
      const states: DeviceState[] = Array.from({ length: devices }, (_, i) => ({
        deviceId: `cached-${i}`,
        eventId: `0190d5a0-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
        ts: new Date().toISOString(),
        metrics: { rain_mm_h: 3.5, soil_moisture_pct: 31, tilt_deg: 0.1, battery_v: 3.9 },
        updatedAt: new Date().toISOString(),
      }));
      await cache.writeManyIfNewer(states.map(deviceCacheEntry), 6 * 3600_000);
      res.defer(async () => {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length) await redis.del(...keys);
      });
      const valueSize = Buffer.byteLength(JSON.stringify(states[0]));

      const api = await startApi(res, ctx.stack, { REDIS_KEY_PREFIX: prefix, KAFKA_TOPIC_PREFIX: prefix });
      const bare = await startBareExpress(res);
      const headers = { authorization: `Bearer ${await benchToken('viewer')}` };
      const paths = states.map((s) => `/v1/devices/${s.deviceId}`);
      ctx.log('warm-up: 2 s at 16 connections (not reported)');
      await httpLoad({ label: 'warm-up', url: api.url, method: 'GET', connections: 16, seconds: 2, headers, paths });

      const bareRow = await httpLoad({
        label: `bare express GET c=${connections}`,
        ceiling: true,
        url: bare.url,
        method: 'GET',
        connections,
        seconds: ctx.seconds,
        headers,
        paths,
      });
      const before = await api.metrics();
      const read = await httpLoad({
        label: `floodgate cached GET c=${connections}`,
        url: api.url,
        method: 'GET',
        connections,
        seconds: ctx.seconds,
        headers,
        paths,
      });
      const after = await api.metrics();
      const hits =
        counterValue(after, 'floodgate_cache_requests_total', { result: 'hit' }) - counterValue(before, 'floodgate_cache_requests_total', { result: 'hit' });
      const misses =
        counterValue(after, 'floodgate_cache_requests_total', { result: 'miss' }) - counterValue(before, 'floodgate_cache_requests_total', { result: 'miss' });
      const hitShare = hits / Math.max(1, hits + misses);
      read.extra = { ...read.extra, 'cache hits': `${(hitShare * 100).toFixed(1)} %` };
      // A read scenario that misses the cache measures the replica instead: refuse to report it as cached.
      if (hitShare < 0.99) throw new Error(`only ${(hitShare * 100).toFixed(1)} % of the reads hit the cache (${hits} hits, ${misses} misses)`);

      const requests = Math.max(50_000, 30_000 * ctx.seconds);
      ctx.log(`redis-benchmark GET: ${requests} requests, ${connections} clients, ${valueSize}-byte values`);
      const rb = await redisBenchmarkGet(res, ctx.stack.REDIS_URL!, { clients: connections, requests, valueSize, timeoutMs: 120_000 });
      const redisRow = {
        label: `redis-benchmark GET c=${connections}`,
        ceiling: true,
        throughput: { value: Math.round(rb.rps), unit: 'req/s' },
        latencyMs: { p50: rb.p50Ms, p99: rb.p99Ms, max: rb.maxMs },
        errors: 0,
        extra: { connections, requests, 'value bytes': valueSize },
      };
      ctx.log(
        `cached reads ${read.throughput!.value} req/s (p99 ${read.latencyMs!.p99} ms) vs bare ${bareRow.throughput!.value} req/s, redis GET ${redisRow.throughput.value} req/s`,
      );
      return {
        scenario: 'cached-reads',
        description: scenario.description,
        rows: [bareRow, read, redisRow],
        ratios: [
          { name: 'cached reads / bare Express GET', value: read.throughput!.value / bareRow.throughput!.value, target: 0.6 },
          { name: 'cached reads p99', value: read.latencyMs!.p99, target: 10, comparison: '<=', unit: 'ms' },
          { name: 'cached reads / redis-benchmark GET', value: read.throughput!.value / redisRow.throughput.value },
        ],
        notes: [
          `autocannon, ${ctx.seconds} s per level, the ${devices} device paths round-robin; viewer JWT (verified once, then cached by the API); rate limiting stays on (one Redis call per request).`,
          `cache hits during the measured level: ${hits} of ${hits + misses} (from the API's floodgate_cache_requests_total).`,
          `redis-benchmark -t get -n ${requests} -c ${connections} -d ${valueSize} on loopback: the store's own ceiling; each API read makes two Redis calls (rate limit, state).`,
        ],
      };
    }),
};

export default scenario;
