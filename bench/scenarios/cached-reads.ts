/**
 * Cached device reads: GET /v1/devices/{id} for 1,000 devices whose state is in Redis (as the worker leaves it).
 * Issue #3: >= 60 % of the bare ceiling, p99 <= 10 ms.
 * - Throughput: closed loop (autocannon) at 64 connections, against a bare Express 5 GET handler at the same
 *   connections, and redis-benchmark GET on the stack's Redis with the same value size and clients.
 * - Latency: paced (h2load, bench/harness/paced-http.ts) at a fixed rate of 60 % of the bare handler's
 *   throughput just measured, against the bare handler at the same rate. A closed loop's p99 is its own queue.
 */
import Redis from 'ioredis';
import { DeviceCache, deviceCacheEntry, type DeviceState } from '@floodgate/cache';
import { redisBenchmarkGet } from '../harness/ceilings';
import { httpLoad } from '../harness/load';
import { pacedHttpLoad } from '../harness/paced-http';
import { counterValue } from '../harness/metrics-text';
import { withResources } from '../harness/resources';
import type { ResultRow, Scenario } from '../harness/scenario';
import { benchToken, runId, startApi, startBareExpress } from '../harness/services';
import { readProcessCpuSeconds } from './support/proc';

const connections = 64;
const devices = 1000;
/** The paced latency level runs at this share of the bare handler's closed-loop throughput (the issue's 60 %). */
const pacedShare = 0.6;
/**
 * Lower paced rates for the API alone, after the judged level, reported and not judged: where on the way to 60 %
 * its p99 passes 10 ms.
 */
const lowerPacedShares = [0.3, 0.45];
/** The paced levels' unreported first second (bench/harness/paced-http.ts). */
const pacedWarmUpSeconds = 1;

/**
 * Runs a level and adds the server process's CPU per request to its row (all its threads, from /proc): what one read
 * costs, closed loop against paced, API against bare Express. `requests` is how many the level sent in all.
 */
async function withServerCpu(pid: number, level: () => Promise<ResultRow>, requests: (row: ResultRow) => number): Promise<ResultRow> {
  const before = readProcessCpuSeconds(pid);
  const row = await level();
  const cpuSeconds = readProcessCpuSeconds(pid) - before;
  row.extra = { ...row.extra, 'server CPU µs/req': Math.round((cpuSeconds * 1e6) / Math.max(1, requests(row))) };
  return row;
}

const scenario: Scenario = {
  name: 'cached-reads',
  description: `Cached device reads (GET /v1/devices/{id}, ${devices} devices in Redis): throughput at ${connections} connections (closed loop) and latency at ${pacedShare * 100} % of the bare ceiling's rate (paced), each against a bare Express 5 GET; redis-benchmark GET for context.`,
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

      /** A closed-loop level (autocannon at `connections`) against one server, with its CPU per request. */
      const closedLoop = (server: { url: string; pid: number }, label: string, ceiling: boolean) =>
        withServerCpu(
          server.pid,
          () => httpLoad({ label, ceiling, url: server.url, method: 'GET', connections, seconds: ctx.seconds, headers, paths }),
          (row) => row.throughput!.value * ctx.seconds,
        );
      const apiServer = { url: api.url, pid: api.child.pid! };
      const bareRow = await closedLoop(bare, `bare express GET c=${connections}`, true);
      const before = await api.metrics();
      const read = await closedLoop(apiServer, `floodgate cached GET c=${connections}`, false);
      const after = await api.metrics();
      const hits =
        counterValue(after, 'floodgate_cache_requests_total', { result: 'hit' }) - counterValue(before, 'floodgate_cache_requests_total', { result: 'hit' });
      const misses =
        counterValue(after, 'floodgate_cache_requests_total', { result: 'miss' }) - counterValue(before, 'floodgate_cache_requests_total', { result: 'miss' });
      const hitShare = hits / Math.max(1, hits + misses);
      read.extra = { ...read.extra, 'cache hits': `${(hitShare * 100).toFixed(1)} %` };
      // A read scenario that misses the cache measures the replica instead: refuse to report it as cached.
      if (hitShare < 0.99) throw new Error(`only ${(hitShare * 100).toFixed(1)} % of the reads hit the cache (${hits} hits, ${misses} misses)`);

      // Latency at a load the target names: 60 % of the bare ceiling, offered at a fixed rate, bare handler first.
      const pacedRate = Math.round(bareRow.throughput!.value * pacedShare);
      ctx.log(
        `paced (h2load): ${pacedRate} req/s (${pacedShare * 100} % of bare's ${bareRow.throughput!.value}) for ${ctx.seconds} s, bare Express then the API`,
      );
      /** A paced level (h2load at `rate`) against one server, with its CPU per request (warm-up included). */
      const pacedLevel = (server: { url: string; pid: number }, label: string, ceiling: boolean, rate = pacedRate) =>
        withServerCpu(
          server.pid,
          () =>
            pacedHttpLoad(res, {
              label,
              ceiling,
              url: server.url,
              paths,
              headers,
              ratePerSecond: rate,
              connections,
              seconds: ctx.seconds,
              warmUpSeconds: pacedWarmUpSeconds,
            }),
          () => rate * (ctx.seconds + pacedWarmUpSeconds),
        );
      const pacedBare = await pacedLevel(bare, `bare express GET at ${pacedRate} req/s (paced)`, true);
      const pacedBefore = await api.metrics();
      const paced = await pacedLevel(apiServer, `floodgate cached GET at ${pacedRate} req/s (paced)`, false);
      const lower: Array<{ share: number; row: ResultRow }> = [];
      for (const share of lowerPacedShares) {
        const rate = Math.round(bareRow.throughput!.value * share);
        lower.push({ share, row: await pacedLevel(apiServer, `floodgate cached GET at ${rate} req/s (paced, ${share * 100} %)`, false, rate) });
      }
      const pacedAfter = await api.metrics();
      const pacedMisses =
        counterValue(pacedAfter, 'floodgate_cache_requests_total', { result: 'miss' }) -
        counterValue(pacedBefore, 'floodgate_cache_requests_total', { result: 'miss' });
      if (pacedMisses > 0) throw new Error(`${pacedMisses} paced reads missed the cache`);

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
        rows: [bareRow, read, pacedBare, paced, ...lower.map((l) => l.row), redisRow],
        ratios: [
          { name: 'cached reads / bare Express GET', value: read.throughput!.value / bareRow.throughput!.value, target: 0.6 },
          {
            name: `cached reads p99 at ${pacedShare * 100} % of the bare ceiling (paced)`,
            value: paced.latencyMs!.p99,
            target: 10,
            comparison: '<=',
            unit: 'ms',
          },
          { name: `bare Express GET p99 at the same rate (paced)`, value: pacedBare.latencyMs!.p99, comparison: '<=', unit: 'ms' },
          ...lower.map((l) => ({
            name: `cached reads p99 at ${l.share * 100} % of the bare ceiling (paced)`,
            value: l.row.latencyMs!.p99,
            comparison: '<=' as const,
            unit: 'ms',
          })),
          { name: `cached reads p99 at c=${connections} (closed loop, saturated)`, value: read.latencyMs!.p99, comparison: '<=', unit: 'ms' },
          { name: 'cached reads / redis-benchmark GET', value: read.throughput!.value / redisRow.throughput.value },
        ],
        notes: [
          `paced levels: h2load, ${connections} connections sending ${pacedRate} req/s in all (${pacedShare * 100} % of the bare handler's closed-loop throughput in this run) for ${pacedWarmUpSeconds} s of warm-up (not counted) and ${ctx.seconds} s counted, each connection on its own timer, the connections opened over one send interval; percentiles of every counted request. The issue's p99 target is judged there: a closed loop's p99 is the queue its own connections build. Then the API alone at ${lowerPacedShares.map((x) => `${x * 100} %`).join(' and ')} of the bare ceiling, the same way: the latency on the way to the judged rate.`,
          `autocannon, ${ctx.seconds} s per level, the ${devices} device paths round-robin; viewer JWT (verified once, then cached by the API); rate limiting stays on (the API's limit of 10^9 requests a minute is taken from Redis in leases of up to 64 requests, RATE_LIMIT_LEASE_MAX).`,
          `server CPU µs/req: the server process's CPU time (all threads, /proc/<pid>/stat) over a level, divided by the requests sent in it (paced levels: warm-up included).`,
          `cache hits during the measured level: ${hits} of ${hits + misses} (from the API's floodgate_cache_requests_total).`,
          `redis-benchmark -t get -n ${requests} -c ${connections} -d ${valueSize} on loopback: the store's own ceiling; each API read makes one Redis call for the state, plus one per lease for the rate limit.`,
        ],
      };
    }),
};

export default scenario;
