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
