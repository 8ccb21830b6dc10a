import Redis from 'ioredis';
import { DeviceCache } from '@floodgate/cache';
import { startServer, stopServer } from '@floodgate/devstack';
import { makeEvent, produceEvents, readingCounts, spawnWorker, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';

jest.setTimeout(120000);

const prefix = `wk-redisdown-${process.pid}`;
const group = `${prefix}-worker`;
const stackDir = process.env.FLOODGATE_STATE_DIR;
const bed = useWorkerTestBed(prefix, 'worker_redisdown', async () => {
  await startServer('redis', { dir: stackDir });
});

describe('Redis down', () => {
  it('holds the offsets until the cache is written, then the cache equals the database', async () => {
    const worker = spawnWorker(workerEnv(prefix, bed.db.url));
    await worker.waitForOutput(/joined the consumer group/);
    await stopServer('redis', { dir: stackDir });
    const base = Date.parse('2026-11-23T01:00:00Z');
    const events = Array.from({ length: 600 }, (_, i) => makeEvent(`cam-${i % 6}`, new Date(base + i * 1000), { river_level_m: i / 1000 }));
    await produceEvents(bed.producer, prefix, events);

    // Batches in flight commit their rows (the database is up) but cannot finish: the cache write fails, so their
    // offsets stay uncommitted and they are retried; nothing goes to the DLQ. (Other partitions wait their turn.)
    await waitFor(async () => (await readingCounts(bed.db.url)).rows > 0, 30000, 'the first readings to be stored');
    await worker.waitForOutput(/"reason":"redis"/);
    expect(await uncommitted(bed.kafka, group, `${prefix}.events`)).toBeGreaterThan(0);
    expect(worker.output()).not.toMatch(/dead-lettered/);

    await startServer('redis', { dir: stackDir });
    await waitFor(async () => (await uncommitted(bed.kafka, group, `${prefix}.events`)) === 0, 60000, 'the offsets to be committed after Redis returns');
    expect(await readingCounts(bed.db.url)).toEqual({ rows: 600, distinct: 600 });

    // The retried batches found their readings already stored, and still wrote the cache from the database's state.
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const cache = new DeviceCache(redis, prefix);
      for (let d = 0; d < 6; d++) {
        const newest = events.filter((e) => e.deviceId === `cam-${d}`).at(-1)!;
        expect((await cache.read(`cam-${d}`))?.eventId).toBe(newest.eventId);
      }
    } finally {
      await redis.quit();
    }
    expect(await worker.stop()).toBe(0);
  });
});
