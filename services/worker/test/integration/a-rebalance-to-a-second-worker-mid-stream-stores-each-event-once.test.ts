import { makeEvent, produceEvents, readingCounts, spawnWorker, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';

jest.setTimeout(120000);

const prefix = `wk-rebalance-${process.pid}`;
const group = `${prefix}-worker`;
const bed = useWorkerTestBed(prefix, 'worker_rebalance');

const joinedWith = (output: string) => [...output.matchAll(/"msg":"joined the consumer group"/g)].length;

describe('a rebalance to a second worker mid-stream', () => {
  it('moves partitions without losing or duplicating an event', async () => {
    const env = workerEnv(prefix, bed.db.url);
    const a = spawnWorker(env);
    await a.waitForOutput(/joined the consumer group/);

    const base = Date.parse('2026-11-22T00:00:00Z');
    let n = 0;
    const produceRound = async (count: number) => {
      const events = Array.from({ length: count }, () => {
        n += 1;
        return makeEvent(`gauge-${n % 97}`, new Date(base + n * 1000), { river_level_m: 1 + (n % 7) / 10 });
      });
      await produceEvents(bed.producer, prefix, events);
    };
    for (let i = 0; i < 5; i++) {
      await produceRound(400);
      await new Promise((r) => setTimeout(r, 300));
    }
    // A second worker joins while events keep arriving: the group rebalances under load.
    const b = spawnWorker(env);
    for (let i = 0; i < 10; i++) {
      await produceRound(400);
      await new Promise((r) => setTimeout(r, 300));
    }
    await b.waitForOutput(/joined the consumer group/);
    // Then the first one leaves (SIGTERM): its partitions move to the second.
    expect(await a.stop()).toBe(0);
    for (let i = 0; i < 5; i++) await produceRound(400);

    await waitFor(async () => (await uncommitted(bed.kafka, group, `${prefix}.events`)) === 0, 60000, 'the group to commit every offset');
    expect(await readingCounts(bed.db.url)).toEqual({ rows: n, distinct: n });
    expect(joinedWith(a.output())).toBeGreaterThanOrEqual(2); // a rejoined when b arrived
    expect(joinedWith(b.output())).toBeGreaterThanOrEqual(2); // b rejoined when a left
    expect(await b.stop()).toBe(0);
  });
});
