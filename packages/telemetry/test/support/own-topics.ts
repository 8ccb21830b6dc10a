/**
 * Kafka topics of a test's own (events, DLQ, alerts under a unique prefix): a worker group that starts from the
 * beginning of its events topic then sees only the test's messages, never another test's backlog.
 */
import { Kafka, logLevel } from 'kafkajs';
import { topicNames, topicSpecs } from '@floodgate/config';

export interface OwnTopics {
  prefix: string;
  topics: ReturnType<typeof topicNames>;
  kafka: Kafka;
  /** Deletes the topics (best effort: the stack may already be going down). */
  remove(): Promise<void>;
}

export async function createOwnTopics(prefix: string, eventPartitions: number): Promise<OwnTopics> {
  const topics = topicNames(prefix);
  const kafka = new Kafka({ clientId: prefix, brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topicSpecs(prefix, eventPartitions) });
  } finally {
    await admin.disconnect();
  }
  return {
    prefix,
    topics,
    kafka,
    async remove() {
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
      await a.disconnect();
    },
  };
}
