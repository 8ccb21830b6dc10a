import Redis from 'ioredis';
import { DeviceCache } from '@floodgate/cache';
import { makeEvent, produceEvents, spawnWorker, sql, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';
import { compareEventOrder } from '../../src/alert-engine';

jest.setTimeout(120000);

const prefix = `wk-order-${process.pid}`;
const bed = useWorkerTestBed(prefix, 'worker_order', async () => {
  await redis?.quit();
});
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL!);
});

// A small deterministic shuffle (so a failure can be reproduced).
function shuffle<T>(items: T[], seed: number): T[] {
  const a = [...items];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('the latest state and the cache follow event time, not arrival order', () => {
  it('equal the newest event by (event time, event id) after out-of-order, duplicate and late events', async () => {
    const base = Date.parse('2026-11-22T06:00:00Z');
    const devices = ['hill-a', 'hill-b', 'hill-c', 'hill-d', 'hill-e'];
    const all = devices.flatMap((d, k) => Array.from({ length: 200 }, (_, i) => makeEvent(d, new Date(base + i * 60000), { tilt_deg: (i % 13) / 100, k })));
    // Two events of hill-c at the same instant: the larger event id wins, in the database as in the cache.
    const tieTs = new Date(base + 500 * 60000);
    all.push(
      makeEvent('hill-c', tieTs, { tilt_deg: 0.01 }, '0190d5a0-0000-7000-8000-00000000000a'),
      makeEvent('hill-c', tieTs, { tilt_deg: 0.02 }, '0190d5a0-0000-7000-8000-00000000000b'),
    );
    const arrival = shuffle([...all, ...all.slice(0, 300)], 42); // shuffled, with 300 duplicates

    // A racing API fill put a state newer than anything in the stream into the cache for hill-e: it must survive.
    const cache = new DeviceCache(redis, prefix);
    const future = {
      deviceId: 'hill-e',
      eventId: '0190d5a0-0000-7000-8000-0000000000ff',
      ts: new Date(base + 10 * 24 * 3600 * 1000).toISOString(),
      metrics: { tilt_deg: 9 },
      updatedAt: new Date().toISOString(),
    };
    await cache.writeIfNewer(future, 600000);

    // First half, then the worker, then the rest (including events older than what is already stored).
    await produceEvents(bed.producer, prefix, arrival.slice(0, 600));
    const worker = spawnWorker(workerEnv(prefix, bed.db.url));
    await waitFor(async () => (await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)) === 0, 60000, 'the first half to be committed');
    await produceEvents(bed.producer, prefix, arrival.slice(600));
    await waitFor(async () => (await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)) === 0, 60000, 'the second half to be committed');
    expect(await worker.stop()).toBe(0);

    for (const d of devices) {
      const newest = all
        .filter((e) => e.deviceId === d)
        .sort(compareEventOrder)
        .at(-1)!;
      const [row] = await sql<{ last_event_id: string; last_ts: Date; metrics: Record<string, number> }>(
        bed.db.url,
        `select last_event_id::text, last_ts, metrics from devices where device_id = $1`,
        [d],
      );
      expect({ device: d, eventId: row!.last_event_id, ts: row!.last_ts.toISOString() }).toEqual({ device: d, eventId: newest.eventId, ts: newest.ts });
      const cached = await cache.read(d);
      if (d === 'hill-e') expect(cached?.eventId).toBe(future.eventId);
      else
        expect({ device: d, eventId: cached?.eventId, ts: cached?.ts, metrics: cached?.metrics }).toEqual({
          device: d,
          eventId: newest.eventId,
          ts: newest.ts,
          metrics: newest.metrics,
        });
    }
    expect(worker.output()).toMatch(/"msg":"worker consuming"/);
  });
});
