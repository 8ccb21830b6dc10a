/** Test fixtures: an in-process operator with short timings, a Kafka topic with a backlog for a group, polling helpers. */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@floodgate/config';
import { Operator, type OperatorOptions } from '../../src/operator';

export function testOperator(kc: KubeConfig, over: Partial<OperatorOptions> & { watchNamespace: string }): Operator {
  return new Operator(
    kc,
    {
      identity: `test-${Math.random().toString(36).slice(2, 8)}`,
      leaseNamespace: over.watchNamespace,
      leaseName: 'floodgate-operator',
      leaseDurationSeconds: 3,
      renewDeadlineSeconds: 2,
      retryPeriodSeconds: 0.5,
      watchdogSeconds: 60,
      resyncSeconds: 300,
      kafka: { clientId: 'floodgate-operator-test', connectionTimeout: 2000, requestTimeout: 5000 },
      defaultMetrics: false,
      ...over,
    },
    createLogger('operator-test', process.env.LOG_LEVEL ?? 'silent'),
  );
}

export function kafkaAdmin(): { kafka: Kafka; admin: Admin } {
  const kafka = new Kafka({ clientId: 'operator-test', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  return { kafka, admin: kafka.admin() };
}

/** A fresh topic (so no other test's traffic counts) whose group has committed offset 0 everywhere. */
export async function topicWithGroup(admin: Admin, prefix: string, partitions = 12): Promise<{ topic: string; group: string }> {
  const id = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const topic = `op-test.${id}`;
  const group = `op-test-group-${id}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.setOffsets({ groupId: group, topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, offset: '0' })) });
  return { topic, group };
}

/** Appends `perPartition` small messages to every partition. */
export async function produceBacklog(kafka: Kafka, topic: string, partitions: number, perPartition: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const batch = 500;
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i += batch) {
        const n = Math.min(batch, perPartition - i);
        await producer.send({ topic, acks: 1, messages: Array.from({ length: n }, (_, k) => ({ partition: p, value: `m${i + k}` })) });
      }
    }
  } finally {
    await producer.disconnect();
  }
}

/** The group commits the end offset of every partition, as a consumer that caught up would. */
export async function consumeAll(admin: Admin, topic: string, group: string): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId: group, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
