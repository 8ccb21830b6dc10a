/**
 * The lag reader against real Kafka: per-partition lag is end offset minus the group's committed
 * offset, for a group with no members (the scale-from-zero case exporters miss); a partition with
 * no committed offset follows the documented policy; rates come from successive samples.
 */
import { stackEnv, up } from '@floodgate/devstack';
import type { Admin, Kafka } from 'kafkajs';
import { LagReader } from '../../src/lag-reader';
import { kafkaAdmin, produceBacklog } from '../support/operator-fixtures';

jest.setTimeout(60_000);

let kafka: Kafka;
let admin: Admin;
let topic: string;
const group = `lag-reader-${Date.now().toString(36)}`;

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka'] })));
  ({ kafka, admin } = kafkaAdmin());
  await admin.connect();
  topic = `op-test.lag-reader-${Date.now().toString(36)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  await produceBacklog(kafka, topic, 3, 100);
  // The group committed on partitions 0 and 1 only, and has no members.
  await admin.setOffsets({
    groupId: group,
    topic,
    partitions: [
      { partition: 0, offset: '40' },
      { partition: 1, offset: '100' },
    ],
  });
});

afterAll(async () => {
  await admin?.disconnect();
});

const reader = () =>
  new LagReader({ clientId: 'lag-reader-test', brokers: process.env.KAFKA_BROKERS!.split(','), connectionTimeout: 2000, requestTimeout: 5000 });

test('earliest: a partition without a committed offset counts every retained message', async () => {
  const r = reader();
  try {
    const m = await r.read(group, [topic], 'earliest');
    expect(m.partitions).toEqual([
      { topic, partition: 0, lag: 60, committed: true },
      { topic, partition: 1, lag: 0, committed: true },
      { topic, partition: 2, lag: 100, committed: false },
    ]);
    expect(m.totalLag).toBe(160);
    expect(m.consumeRate).toBeUndefined(); // no previous sample yet
  } finally {
    await r.close();
  }
});

test('latest: a partition without a committed offset counts as no lag', async () => {
  const r = reader();
  try {
    const m = await r.read(group, [topic], 'latest');
    expect(m.partitions.map((p) => p.lag)).toEqual([60, 0, 0]);
  } finally {
    await r.close();
  }
});

test('rates come from successive samples: produce and consume per second', async () => {
  let now = 1_000_000;
  const r = new LagReader(
    { clientId: 'lag-reader-test', brokers: process.env.KAFKA_BROKERS!.split(','), connectionTimeout: 2000, requestTimeout: 5000 },
    () => undefined,
    () => now,
  );
  try {
    await r.read(group, [topic], 'earliest');
    await produceBacklog(kafka, topic, 3, 100); // +300 messages
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '140' }] }); // +100 consumed on p0
    now += 10_000; // the reader's clock says ten seconds passed
    const m = await r.read(group, [topic], 'earliest');
    expect(m.produceRate).toBeCloseTo(30, 5);
    // p0 moved 40 → 140; p2 (no commit, earliest) stays at log start: 100 consumed in 10 s.
    expect(m.consumeRate).toBeCloseTo(10, 5);
    expect(m.partitions.map((p) => p.lag)).toEqual([60, 100, 200]);
  } finally {
    await r.close();
  }
});

test('an unreachable broker fails fast with KafkaUnavailable', async () => {
  const r = new LagReader({ clientId: 'lag-reader-test', brokers: ['127.0.0.1:1'], connectionTimeout: 1000, requestTimeout: 2000 });
  const t0 = Date.now();
  await expect(r.read(group, [topic], 'earliest')).rejects.toMatchObject({ name: 'KafkaLagError', reason: 'KafkaUnavailable' });
  expect(Date.now() - t0).toBeLessThan(5_000);
  await r.close();
});
