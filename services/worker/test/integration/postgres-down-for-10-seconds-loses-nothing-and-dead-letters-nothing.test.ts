import { startServer, stopServer } from '@floodgate/devstack';
import { makeEvent, produceEvents, readingCounts, spawnWorker, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';

jest.setTimeout(150000);

const prefix = `wk-pgdown-${process.pid}`;
const group = `${prefix}-worker`;
const stackDir = process.env.FLOODGATE_STATE_DIR;
const bed = useWorkerTestBed(prefix, 'worker_pgdown', async () => {
  await startServer('postgres', { dir: stackDir }); // whatever happened, leave the stack whole
});

async function dlqCount(): Promise<number> {
  const admin = bed.kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(`${prefix}.events.dlq`)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('PostgreSQL stopped for 10 s under load', () => {
  it('dead-letters nothing, loses nothing, and the worker catches up by itself', async () => {
    const worker = spawnWorker(workerEnv(prefix, bed.db.url));
    await worker.waitForOutput(/joined the consumer group/);
    const base = Date.parse('2026-11-22T12:00:00Z');
    let n = 0;
    const load = async (rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const events = Array.from({ length: 100 }, () => {
          n += 1;
          return makeEvent(`station-${n % 50}`, new Date(base + n * 1000), { rain_mm_h: 1 });
        });
        await produceEvents(bed.producer, prefix, events);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    await load(10); // ~2 s of load with the database up
    await stopServer('postgres', { dir: stackDir });
    const downAt = Date.now();
    await load(40); // the load continues while the database is down (~8+ s)
    const remaining = 10000 - (Date.now() - downAt);
    if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
    // While it was down: the worker retried, and nothing went to the DLQ.
    expect(worker.output()).toMatch(/transient fault; partition paused, retrying/);
    expect(await dlqCount()).toBe(0);
    await startServer('postgres', { dir: stackDir });
    await load(10);

    await waitFor(async () => (await uncommitted(bed.kafka, group, `${prefix}.events`)) === 0, 90000, 'the worker to catch up after the outage');
    expect(await readingCounts(bed.db.url)).toEqual({ rows: n, distinct: n });
    expect(await dlqCount()).toBe(0);
    expect(worker.child.exitCode).toBeNull(); // it never crashed
    expect(await worker.stop()).toBe(0);
  });
});
