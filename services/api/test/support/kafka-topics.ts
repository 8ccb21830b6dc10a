/**
 * Kafka for tests that must know exactly what the API produced: topics under a prefix of their own (the API's
 * KAFKA_TOPIC_PREFIX), so no other test's events are mixed in, and a reader that returns every message
 * written so far (up to the high watermarks taken when it is called).
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { topicNames } from '@floodgate/config';

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

function kafka(): Kafka {
  return new Kafka({ clientId: `api-security-test-${process.pid}`, brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
}

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates `<prefix>.events`, `.events.dlq` and `.alerts`; returns the prefix to give the API. */
export async function createIsolatedTopics(name: string, partitions = 3): Promise<{ prefix: string; events: string; remove: () => Promise<void> }> {
  const prefix = `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const topics = topicNames(prefix);
  const all = [topics.events, topics.eventsDlq, topics.alerts];
  await withAdmin((admin) => admin.createTopics({ topics: all.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true }));
  return {
    prefix,
    events: topics.events,
    remove: () => withAdmin((admin) => admin.deleteTopics({ topics: all })).catch(() => undefined),
  };
}

/** Every message of `topic` up to the high watermarks of the moment of the call. */
export async function readAll(topic: string, timeoutMs = 120_000): Promise<ReadMessage[]> {
  const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  if (remaining.size === 0) return [];
  const consumer = kafka().consumer({ groupId: `api-security-test-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}` });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        const high = remaining.get(partition);
        if (high !== undefined && BigInt(message.offset) + 1n >= high) remaining.delete(partition);
      },
    });
    const until = Date.now() + timeoutMs;
    while (remaining.size > 0) {
      if (Date.now() > until)
        throw new Error(`read ${messages.length} messages of ${topic} but partitions ${[...remaining.keys()].join(', ')} did not reach their end`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
