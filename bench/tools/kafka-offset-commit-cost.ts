/**
 * The broker's CPU per OffsetCommit request: one consumer-group member commits the offsets of a 12-partition topic
 * at a fixed rate for 15 s, and the broker process's CPU (from /proc, so run it on the broker's host) is divided by
 * the commits sent. Shows what committing after every small batch costs Kafka at a steady load.
 *
 *   make up && eval "$(make -s env)"
 *   npx tsx bench/tools/kafka-offset-commit-cost.ts <broker pid: pgrep -f kafka.Kafka> [commits per second ...]
 *
 * Rates default to 1, 50 and 200 a second (the client may not reach the highest: it waits for each answer).
 */
import fs from 'node:fs';
import { Kafka, logLevel, type EachBatchPayload } from 'kafkajs';
import { readProcessCpuSeconds } from '../scenarios/support/proc';

type Commit = EachBatchPayload['commitOffsetsIfNecessary'];

async function measure(kafka: Kafka, brokerPid: number, perSecond: number): Promise<void> {
  const topic = `commit-cost-${process.pid}-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 12 }] });
  const consumer = kafka.consumer({ groupId: topic });
  const producer = kafka.producer();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let commit: Commit | undefined;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        resolveOffset(batch.lastOffset()); // resolved, so the member waits for new data instead of fetching again
        commit = commitOffsetsIfNecessary;
      },
    });
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 12 }, (_, partition) => ({ partition, value: 'x' })) });
    while (!commit) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2000)); // the group settled, the broker idle again
    const offsets = { topics: [{ topic, partitions: Array.from({ length: 12 }, (_, partition) => ({ partition, offset: '1' })) }] };
    const cpu0 = readProcessCpuSeconds(brokerPid);
    const started = Date.now();
    let commits = 0;
    while (Date.now() - started < 15_000) {
      const tick = Date.now();
      await commit(offsets);
      commits += 1;
      await new Promise((r) => setTimeout(r, Math.max(0, tick + 1000 / perSecond - Date.now())));
    }
    const seconds = (Date.now() - started) / 1000;
    const cpu = readProcessCpuSeconds(brokerPid) - cpu0;
    console.log(
      `${(commits / seconds).toFixed(0).padStart(4)} commits/s: broker ${((cpu / seconds) * 100).toFixed(1)} % of a core, ${((cpu / commits) * 1000).toFixed(2)} ms of broker CPU per commit (idle share included)`,
    );
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const brokerPid = Number(process.argv[2]);
  if (!Number.isInteger(brokerPid) || !fs.existsSync(`/proc/${brokerPid}/stat`))
    throw new Error('usage: kafka-offset-commit-cost.ts <broker pid> [commits per second ...]');
  const rates = process.argv.slice(3).map(Number);
  const kafka = new Kafka({ clientId: 'commit-cost', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  for (const rate of rates.length ? rates : [1, 50, 200]) await measure(kafka, brokerPid, rate);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
