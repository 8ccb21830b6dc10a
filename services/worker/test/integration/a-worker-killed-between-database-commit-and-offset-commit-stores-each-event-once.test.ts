import { makeEvent, produceEvents, readingCounts, spawnWorker, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';

jest.setTimeout(120000);

const prefix = `wk-sigkill-${process.pid}`;
const group = `${prefix}-worker`;
const bed = useWorkerTestBed(prefix, 'worker_sigkill');

describe('a worker killed between the database commit and the offset commit', () => {
  it('leaves committed rows whose offsets were never committed, and the restarted worker stores each event exactly once', async () => {
    const base = Date.parse('2026-11-21T00:00:00Z');
    const events = Array.from({ length: 4000 }, (_, i) => makeEvent(`slope-${i % 40}`, new Date(base + i * 1000), { soil_moisture_pct: 20 + (i % 10) }));
    await produceEvents(bed.producer, prefix, events);

    // The fault hook SIGKILLs the process right after its 3rd COMMIT, before the offsets of that batch are committed.
    // At most 300 events per transaction: the partitions' batches are not all in one (group commit), so the kill
    // falls between transactions, with rows stored and offsets committed before it.
    const crashing = spawnWorker(
      workerEnv(prefix, bed.db.url, { WORKER_CRASH_AFTER_DB_COMMITS: '3', WORKER_SESSION_TIMEOUT_MS: '6000', WORKER_TRANSACTION_MAX_EVENTS: '300' }),
    );
    await crashing.exited;
    expect(crashing.child.signalCode).toBe('SIGKILL');
    expect(crashing.output()).toMatch(/WORKER_CRASH_AFTER_DB_COMMITS reached/);

    // The window the test is about really happened: rows exist whose offsets the group never committed.
    const stored = (await readingCounts(bed.db.url)).rows;
    const committed = events.length - (await uncommitted(bed.kafka, group, `${prefix}.events`));
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeGreaterThan(committed);

    const restarted = spawnWorker(workerEnv(prefix, bed.db.url));
    await waitFor(async () => (await uncommitted(bed.kafka, group, `${prefix}.events`)) === 0, 60000, 'the restarted worker to commit every offset');
    expect(await restarted.stop()).toBe(0);
    expect(await readingCounts(bed.db.url)).toEqual({ rows: events.length, distinct: events.length });
    // The batch it redelivered was recognised as already stored.
    expect(restarted.output()).not.toMatch(/dead-lettered/);
  });
});
