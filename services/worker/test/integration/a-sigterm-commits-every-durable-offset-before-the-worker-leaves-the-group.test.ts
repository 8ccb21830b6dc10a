/**
 * Offsets are committed at most once per WORKER_COMMIT_INTERVAL_MS while the worker runs. A SIGTERM must not lose
 * what the interval deferred: the worker commits every offset whose rows are durable before it leaves the group. With
 * a one-minute interval only that shutdown path can have committed them within the test.
 */
import { makeEvent, produceEvents, readingCounts, spawnWorker, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';

jest.setTimeout(90000);

const prefix = `wk-term-commit-${process.pid}`;
const bed = useWorkerTestBed(prefix, 'worker_term_commit');

it('commits every durable offset on SIGTERM, deferred ones included', async () => {
  const worker = spawnWorker(workerEnv(prefix, bed.db.url, { WORKER_COMMIT_INTERVAL_MS: '60000' }));
  await worker.waitForOutput(/"msg":"worker consuming"/);
  await worker.waitForOutput(/joined the consumer group[\s\S]*joined the consumer group/); // both members
  const events = Array.from({ length: 600 }, (_, i) => makeEvent(`term-${i % 40}`, new Date(Date.UTC(2026, 10, 24, 2, 0, i)), { rain_mm_h: 1 }));
  // Two rounds: the first commit of a member goes at once, the second round's offsets wait for the interval.
  await produceEvents(bed.producer, prefix, events.slice(0, 300));
  await waitFor(async () => (await readingCounts(bed.db.url)).rows === 300, 30000, 'the first 300 readings stored');
  await new Promise((r) => setTimeout(r, 1000));
  await produceEvents(bed.producer, prefix, events.slice(300));
  await waitFor(async () => (await readingCounts(bed.db.url)).rows === 600, 30000, 'all 600 readings stored');
  // Stored, but the interval holds some offsets back.
  expect(await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)).toBeGreaterThan(0);
  expect(await worker.stop('SIGTERM')).toBe(0);
  expect(await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)).toBe(0);
});
