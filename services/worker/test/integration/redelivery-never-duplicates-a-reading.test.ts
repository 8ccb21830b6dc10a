import { makeEvent, produceEvents, readingCounts, spawnWorker, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';

jest.setTimeout(120000);

const prefix = `wk-redeliver-${process.pid}`;
const bed = useWorkerTestBed(prefix, 'worker_redelivery');

describe('redelivery never duplicates a reading', () => {
  it('stores exactly one row per event when messages are sent twice and the whole topic is replayed', async () => {
    const base = Date.parse('2026-11-20T00:00:00Z');
    const events = Array.from({ length: 3000 }, (_, i) => makeEvent(`dev-${i % 60}`, new Date(base + i * 1000), { rain_mm_h: i % 5 }));
    // A bed.producer retry: the same 500 events land in the topic a second time.
    await produceEvents(bed.producer, prefix, [...events, ...events.slice(1000, 1500)]);

    const env = workerEnv(prefix, bed.db.url);
    const first = spawnWorker(env);
    await waitFor(async () => (await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)) === 0, 60000, 'the worker to commit every offset');
    expect(await readingCounts(bed.db.url)).toEqual({ rows: 3000, distinct: 3000 });
    expect(await first.stop('SIGTERM')).toBe(0); // graceful shutdown exits cleanly

    // The same batches delivered again: rewind the group to the beginning and let a new worker replay everything.
    const admin = bed.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: `${prefix}-worker`, topic: `${prefix}.events`, earliest: true });
    await admin.disconnect();
    expect(await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)).toBe(3500);

    const second = spawnWorker(env);
    await waitFor(async () => (await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)) === 0, 60000, 'the replay to be committed');
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(await readingCounts(bed.db.url)).toEqual({ rows: 3000, distinct: 3000 });
    expect(second.output()).not.toMatch(/dead-lettered/);
  });
});
