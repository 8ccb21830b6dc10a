/**
 * OffsetCommits over a fake commit function (records each request; no broker): the offsets of batches finishing
 * in the same turn of the event loop go in one request, each as the batch's last offset + 1, and a failed
 * request fails every batch it held.
 */
import { OffsetCommits } from '../../src/offset-commits';

type Request = { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] };

function fakeCommit(fail = false) {
  const requests: Request[] = [];
  const commit = async (offsets?: Request) => {
    requests.push(offsets!);
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (fail) throw new Error('The coordinator is not aware of this member');
  };
  return { requests, commit };
}

it('commits the batches finishing together in one request, each at its last offset + 1', async () => {
  const { requests, commit } = fakeCommit();
  const offsets = new OffsetCommits();
  await Promise.all([
    offsets.commitBatch(commit, 'events', 0, '41'),
    offsets.commitBatch(commit, 'events', 3, '9'),
    offsets.commitBatch(commit, 'events', 11, '9007199254740993'), // beyond 2^53: no precision lost
  ]);
  expect(requests).toEqual([
    {
      topics: [
        {
          topic: 'events',
          partitions: [
            { partition: 0, offset: '42' },
            { partition: 3, offset: '10' },
            { partition: 11, offset: '9007199254740994' },
          ],
        },
      ],
    },
  ]);
});

it('sends a new request for batches finishing later, and keeps the highest offset of a partition', async () => {
  const { requests, commit } = fakeCommit();
  const offsets = new OffsetCommits();
  await Promise.all([offsets.commitBatch(commit, 'events', 1, '5'), offsets.commitBatch(commit, 'events', 1, '7')]);
  await offsets.commitBatch(commit, 'events', 2, '1');
  expect(requests).toEqual([
    { topics: [{ topic: 'events', partitions: [{ partition: 1, offset: '8' }] }] },
    { topics: [{ topic: 'events', partitions: [{ partition: 2, offset: '2' }] }] },
  ]);
});

it('fails every batch of a request that failed (they are redelivered from the committed offsets)', async () => {
  const { commit } = fakeCommit(true);
  const offsets = new OffsetCommits();
  const outcomes = await Promise.allSettled([offsets.commitBatch(commit, 'events', 0, '1'), offsets.commitBatch(commit, 'events', 1, '1')]);
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
});

describe('with an interval', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('lets a batch return at once and sends the offsets recorded in an interval in one request', async () => {
    const { requests, commit } = fakeCommit();
    const offsets = new OffsetCommits({ intervalMs: 500 });
    await offsets.commitBatch(commit, 'events', 0, '10');
    await offsets.commitBatch(commit, 'events', 1, '20');
    expect(requests).toEqual([]); // nothing sent yet: the batches did not wait
    await jest.advanceTimersByTimeAsync(0);
    // The first request goes at once (no request in the last interval), then at most one per 500 ms.
    expect(requests).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(10);
    await offsets.commitBatch(commit, 'events', 0, '30');
    await offsets.commitBatch(commit, 'events', 0, '31');
    await offsets.commitBatch(commit, 'events', 2, '5');
    await jest.advanceTimersByTimeAsync(400);
    expect(requests).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(requests).toEqual([
      {
        topics: [
          {
            topic: 'events',
            partitions: [
              { partition: 0, offset: '11' },
              { partition: 1, offset: '21' },
            ],
          },
        ],
      },
      {
        topics: [
          {
            topic: 'events',
            partitions: [
              { partition: 0, offset: '32' },
              { partition: 2, offset: '6' },
            ],
          },
        ],
      },
    ]);
  });

  it('sends at once and waits when urgent (the consumer is stopping), with what earlier batches recorded', async () => {
    const { requests, commit } = fakeCommit();
    const offsets = new OffsetCommits({ intervalMs: 60_000 });
    await offsets.commitBatch(commit, 'events', 0, '1');
    await jest.advanceTimersByTimeAsync(10); // the first request
    await offsets.commitBatch(commit, 'events', 3, '7'); // deferred for a minute
    let done = false;
    const urgent = offsets.commitBatch(commit, 'events', 4, '8', true).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(1);
    expect(done).toBe(false); // the request is in flight (the fake broker answers after 2 ms)
    await jest.advanceTimersByTimeAsync(5);
    await urgent;
    expect(requests[1]).toEqual({
      topics: [
        {
          topic: 'events',
          partitions: [
            { partition: 3, offset: '8' },
            { partition: 4, offset: '9' },
          ],
        },
      ],
    });
  });

  it('flush() sends what is recorded; a failed request is tried again with the next, never behind an acknowledged offset', async () => {
    let fail = true;
    const requests: Request[] = [];
    const commit = async (o?: Request) => {
      requests.push(o!);
      if (fail) throw new Error('REBALANCE_IN_PROGRESS');
    };
    const errors: unknown[] = [];
    const offsets = new OffsetCommits({ intervalMs: 60_000, onError: (e) => errors.push(e) });
    await offsets.commitBatch(commit, 'events', 0, '5');
    await offsets.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    await offsets.commitBatch(commit, 'events', 1, '1');
    await offsets.flush();
    expect(requests[1]).toEqual({
      topics: [
        {
          topic: 'events',
          partitions: [
            { partition: 0, offset: '6' },
            { partition: 1, offset: '2' },
          ],
        },
      ],
    });
    expect(requests).toHaveLength(2);
  });

  it('never puts back an offset older than one acknowledged meanwhile when a slower request fails', async () => {
    const requests: Request[] = [];
    let calls = 0;
    const commit = async (o?: Request) => {
      requests.push(o!);
      if (++calls === 1) {
        await new Promise((resolve) => setTimeout(resolve, 100)); // answered after the second request
        throw new Error('request timed out');
      }
    };
    const offsets = new OffsetCommits({ intervalMs: 60_000, onError: () => undefined });
    await offsets.commitBatch(commit, 'events', 0, '5');
    const slow = offsets.flush(); // partition 0 at 6, fails in 100 ms
    await offsets.commitBatch(commit, 'events', 0, '8');
    await offsets.flush(); // partition 0 at 9, acknowledged
    await jest.advanceTimersByTimeAsync(100);
    await slow;
    await offsets.flush(); // nothing to send: 6 was not put back behind 9
    expect(requests.map((r) => r.topics[0]!.partitions[0]!.offset)).toEqual(['6', '9']);
  });

  it('forgets the offsets of partitions this member no longer holds', async () => {
    const { requests, commit } = fakeCommit();
    const offsets = new OffsetCommits({ intervalMs: 60_000 });
    await offsets.commitBatch(commit, 'events', 0, '1');
    await offsets.commitBatch(commit, 'events', 1, '1');
    offsets.retain({ events: [1] });
    const flushed = offsets.flush();
    await jest.advanceTimersByTimeAsync(5);
    await flushed;
    expect(requests).toEqual([{ topics: [{ topic: 'events', partitions: [{ partition: 1, offset: '2' }] }] }]);
  });
});
