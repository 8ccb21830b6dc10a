/**
 * GroupCommit over a fake group writer (records each transaction's parts; no database): batches handed over in
 * the same turn of the event loop share one transaction, bounded by events per transaction and transactions in
 * flight; when a shared transaction fails with a permanent error each batch is written alone so only its own events
 * can fail it, and a transient fault fails the whole group at once, without a retry per batch.
 */
import { GroupCommit, type GroupWriter } from '../../src/group-commit';
import type { IncomingEvent, WriteResult } from '../../src/reading-writer';

function events(deviceId: string, n: number): IncomingEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    event: { eventId: `0193a000-0000-7000-8000-${String(i).padStart(12, '0')}`, deviceId, ts: '2026-11-23T10:00:00Z', metrics: { x: i } },
  }));
}

/**
 * A fake writer: each call is one "transaction"; `refuse` names devices whose events make a transaction fail with
 * a permanent error (22P02); `down` makes every transaction fail as an unreachable database would (ECONNREFUSED).
 */
class FakeGroupWriter implements GroupWriter {
  readonly transactions: string[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  refuse = new Set<string>();
  down = false;

  async writeGroup(parts: IncomingEvent[][]): Promise<WriteResult[]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      this.transactions.push(parts.map((p) => p[0]!.event.deviceId));
      if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      const refused = parts.flat().find((e) => this.refuse.has(e.event.deviceId));
      if (refused) throw Object.assign(new Error(`invalid input for ${refused.event.deviceId}`), { code: '22P02' });
      return parts.map((p) => ({ stored: p.length, duplicates: 0, cacheEntries: [], alerts: [], committedAt: 0 }));
    } finally {
      this.inFlight--;
    }
  }
}

/** The classification the worker passes in, reduced to what the fake writer throws. */
const isPermanent = (err: unknown) => (err as { code?: string }).code === '22P02';

it('writes the batches handed over together in one transaction and gives each caller its own result', async () => {
  const writer = new FakeGroupWriter();
  const groups: number[] = [];
  const commit = new GroupCommit(writer, { maxEvents: 10_000, maxInFlight: 2, onGroup: (n) => groups.push(n), isPermanent });
  const results = await Promise.all([commit.write(events('a', 3)), commit.write(events('b', 5)), commit.write(events('c', 7))]);
  expect(writer.transactions).toEqual([['a', 'b', 'c']]);
  expect(results.map((r) => r.stored)).toEqual([3, 5, 7]);
  expect(groups).toEqual([3]);
});

it('starts a new transaction at maxEvents, runs at most maxInFlight at once, and queues the rest', async () => {
  const writer = new FakeGroupWriter();
  const commit = new GroupCommit(writer, { maxEvents: 10, maxInFlight: 2, isPermanent });
  const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((d) => commit.write(events(d, 4)));
  await Promise.all(all);
  // 4 + 4 fit in 10, a third batch would not: pairs, two transactions at a time.
  expect(writer.transactions).toEqual([
    ['a', 'b'],
    ['c', 'd'],
    ['e', 'f'],
  ]);
  expect(writer.maxInFlight).toBe(2);
});

it('writes a batch larger than maxEvents whole, in a transaction of its own', async () => {
  const writer = new FakeGroupWriter();
  const commit = new GroupCommit(writer, { maxEvents: 10, maxInFlight: 1, isPermanent });
  await Promise.all([commit.write(events('big', 25)), commit.write(events('small', 2))]);
  expect(writer.transactions).toEqual([['big'], ['small']]);
});

it('when a shared transaction fails, writes each batch alone: only the batch with the refused event fails', async () => {
  const writer = new FakeGroupWriter();
  writer.refuse.add('bad');
  const commit = new GroupCommit(writer, { maxEvents: 10_000, maxInFlight: 2, isPermanent });
  const outcomes = await Promise.allSettled([commit.write(events('good-1', 2)), commit.write(events('bad', 2)), commit.write(events('good-2', 2))]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22P02' });
  expect(writer.transactions).toEqual([['good-1', 'bad', 'good-2'], ['good-1'], ['bad'], ['good-2']]);
});

it('when a shared transaction fails for a transient cause, fails every batch of it at once without a retry per batch', async () => {
  const writer = new FakeGroupWriter();
  writer.down = true;
  const groups: number[] = [];
  const commit = new GroupCommit(writer, { maxEvents: 10_000, maxInFlight: 2, onGroup: (n) => groups.push(n), isPermanent });
  const outcomes = await Promise.allSettled([commit.write(events('a', 2)), commit.write(events('b', 2)), commit.write(events('c', 2))]);
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
  for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'ECONNREFUSED' });
  expect(writer.transactions).toEqual([['a', 'b', 'c']]);
  expect(groups).toEqual([3]);
});

it('fails a batch alone in its transaction with the error as it is (no second attempt)', async () => {
  const writer = new FakeGroupWriter();
  writer.refuse.add('bad');
  const commit = new GroupCommit(writer, { maxEvents: 10_000, maxInFlight: 2, isPermanent });
  await expect(commit.write(events('bad', 1))).rejects.toThrow('invalid input for bad');
  expect(writer.transactions).toEqual([['bad']]);
});

it('a batch handed over while a transaction runs joins the next one', async () => {
  const writer = new FakeGroupWriter();
  const commit = new GroupCommit(writer, { maxEvents: 10_000, maxInFlight: 1, isPermanent });
  const first = commit.write(events('a', 1));
  await new Promise((resolve) => setTimeout(resolve, 1)); // the first transaction is running
  const later = [commit.write(events('b', 1)), commit.write(events('c', 1))];
  await Promise.all([first, ...later]);
  expect(writer.transactions).toEqual([['a'], ['b', 'c']]);
});
