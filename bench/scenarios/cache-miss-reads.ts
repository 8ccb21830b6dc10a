/**
 * Cache-miss device reads: GET /v1/devices/{id} over many distinct devices that are in PostgreSQL but not in Redis,
 * so every read goes Redis (miss) -> read replica SELECT -> compare-and-set fill. The API runs with a fill TTL of
 * 1 ms, so a filled entry is gone before the same device comes round again. Ceiling in the same run: the raw rate of
 * the same SELECT on the replica by a minimal pg script with the same concurrency and pool size (no target in the
 * issue; the ratio says what the HTTP layer, auth, rate limit and cache fill cost on top of the query).
 */
import path from 'node:path';
import pg from 'pg';
import { httpLoad } from '../harness/load';
import { counterValue } from '../harness/metrics-text';
import { withResources } from '../harness/resources';
import type { ResultRow, Scenario } from '../harness/scenario';
import { benchToken, root, runId, sleep, startApi } from '../harness/services';

const connections = 64;
const poolMax = 10;

const scenario: Scenario = {
  name: 'cache-miss-reads',
  description: `Device reads that miss Redis and go to the PostgreSQL read replica, at ${connections} connections, vs the same SELECT on the replica by a minimal pg script.`,
  needs: ['kafka', 'postgres', 'redis'],
  order: 40,
  run: (ctx) =>
    withResources(ctx.log, async (res) => {
      const id = runId();
      const prefix = `bench-${id}`;
      const devicePrefix = `miss-${id}-`;
      const devices = ctx.quick ? 20_000 : 100_000;
      const api = await startApi(res, ctx.stack, {
        REDIS_KEY_PREFIX: prefix,
        KAFKA_TOPIC_PREFIX: prefix,
        CACHE_FILL_TTL_MS: '1',
        DATABASE_POOL_MAX: String(poolMax),
      });

      // The devices, written on the primary as the worker would leave them, then awaited on the replica.
      const primary = new pg.Client({ connectionString: ctx.stack.DATABASE_URL });
      await primary.connect();
      res.defer(() => primary.end());
      res.defer(() => primary.query('DELETE FROM devices WHERE device_id LIKE $1', [`${devicePrefix}%`]));
      await primary.query(
        `INSERT INTO devices (device_id, last_event_id, last_ts, metrics)
         SELECT $1 || g, gen_random_uuid(), now(), jsonb_build_object('rain_mm_h', g % 50, 'soil_moisture_pct', 20 + g % 15, 'battery_v', 3.9)
         FROM generate_series(0, $2::int - 1) AS g`,
        [devicePrefix, devices],
      );
      const replica = new pg.Client({ connectionString: ctx.stack.DATABASE_READ_URL });
      await replica.connect();
      res.defer(() => replica.end());
      for (let until = Date.now() + 60_000; ; await sleep(200)) {
        const { rows } = await replica.query<{ n: string }>('SELECT count(*) AS n FROM devices WHERE device_id LIKE $1', [`${devicePrefix}%`]);
        if (Number(rows[0]!.n) === devices) break;
        if (Date.now() > until) throw new Error(`the replica had ${rows[0]!.n} of ${devices} seeded devices after 60 s`);
      }
      ctx.log(`${devices} devices on the replica`);

      const headers = { authorization: `Bearer ${await benchToken('viewer')}` };
      const paths = Array.from({ length: devices }, (_, i) => `/v1/devices/${devicePrefix}${i}`);
      ctx.log('warm-up: 2 s at 16 connections (not reported)');
      await httpLoad({ label: 'warm-up', url: api.url, method: 'GET', connections: 16, seconds: 2, headers, paths: paths.slice().reverse() });

      const before = await api.metrics();
      const read = await httpLoad({
        label: `floodgate miss GET c=${connections}`,
        url: api.url,
        method: 'GET',
        connections,
        seconds: ctx.seconds,
        headers,
        paths,
      });
      const after = await api.metrics();
      const delta = (result: string) =>
        counterValue(after, 'floodgate_cache_requests_total', { result }) - counterValue(before, 'floodgate_cache_requests_total', { result });
      const misses = delta('miss');
      const hits = delta('hit');
      const missShare = misses / Math.max(1, hits + misses);
      read.extra = { ...read.extra, 'cache misses': `${(missShare * 100).toFixed(1)} %` };
      if (missShare < 0.95) throw new Error(`only ${(missShare * 100).toFixed(1)} % of the reads missed the cache (${misses} misses, ${hits} hits)`);

      ctx.log(`raw SELECT on the replica: ${connections} concurrent loops over a pool of ${poolMax}, ${ctx.seconds} s`);
      const child = res.fork(path.join(root, 'bench/api/replica-select.ts'), [], {
        env: {
          ...process.env,
          DATABASE_READ_URL: ctx.stack.DATABASE_READ_URL,
          CONCURRENCY: String(connections),
          POOL_MAX: String(poolMax),
          SECONDS: String(ctx.seconds),
          DEVICE_PREFIX: devicePrefix,
          DEVICES: String(devices),
        },
      });
      const raw = await new Promise<{ queries: number; found: number; errors: number; seconds: number; latencyMs: ResultRow['latencyMs'] }>(
        (resolve, reject) => {
          child.once('message', (m) => resolve(m as never));
          child.once('exit', (code) => reject(new Error(`replica-select.ts exited with ${code} before reporting`)));
        },
      );
      if (raw.found !== raw.queries) throw new Error(`the raw SELECT found ${raw.found} of ${raw.queries} devices`);
      const rawRow: ResultRow = {
        label: `raw SELECT on the replica c=${connections}`,
        ceiling: true,
        throughput: { value: Math.round(raw.queries / raw.seconds), unit: 'req/s' },
        latencyMs: raw.latencyMs!,
        errors: raw.errors,
        extra: { connections, 'pool size': poolMax },
      };
      ctx.log(`miss reads ${read.throughput!.value} req/s (p99 ${read.latencyMs!.p99} ms) vs raw SELECT ${rawRow.throughput!.value} queries/s`);
      return {
        scenario: 'cache-miss-reads',
        description: scenario.description,
        rows: [rawRow, read],
        ratios: [{ name: 'cache-miss reads / raw SELECT on the replica', value: read.throughput!.value / rawRow.throughput!.value }],
        notes: [
          `${devices} distinct devices seeded on the primary (awaited on the replica), read round-robin; API with CACHE_FILL_TTL_MS=1 and DATABASE_POOL_MAX=${poolMax}.`,
          `cache misses during the measured level: ${misses} of ${hits + misses} (floodgate_cache_requests_total); each miss also writes the state back to Redis (compare-and-set).`,
          `ceiling: bench/api/replica-select.ts, ${connections} concurrent query loops over a pg pool of ${poolMax}, the same SELECT, ${ctx.seconds} s, in its own process; the issue sets no target for this ratio.`,
        ],
      };
    }),
};

export default scenario;
