import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { startServer, stopServer } from '@floodgate/devstack';
import { topicNames } from '@floodgate/config';
import { bearer, startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
const topic = topicNames(process.env.KAFKA_TOPIC_PREFIX).events;

let release: Release | undefined;
// This test stops a server of the shared stack: nothing else of the API runs meanwhile.
beforeAll(async () => {
  release = await acquire('exclusive');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest({ INGEST_ACK_TIMEOUT_MS: '1500', INGEST_MAX_INFLIGHT_EVENTS: '6', RETRY_AFTER_SECONDS: '3' });
});

afterAll(async () => {
  await startServer('kafka'); // never leave the shared stack without Kafka, even if the test failed
  await api?.shutdown();
}, 60_000);

interface Outcome {
  eventId: string;
  status: number;
  retryAfter: string | null;
  written?: string;
  type?: string;
}

const kafka = () => new Kafka({ clientId: 'outage-check', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });

it('answers 503 + Retry-After while Kafka is down, never 202 for an event that is not in Kafka, and recovers when Kafka returns', async () => {
  const deviceId = uniqueDevice('outage');
  // Where the topic ends now: the check at the end reads only what this test produced.
  const admin = kafka().admin();
  await admin.connect();
  const startOffsets = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high }));
  const token = await api.token(deviceId, 'device');
  const outcomes: Outcome[] = [];
  let stop = false;

  const send = async (): Promise<Outcome> => {
    const eventId = crypto.randomUUID();
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({ eventId, deviceId, ts: new Date().toISOString(), metrics: { rain_mm_h: 1 } }),
    });
    const outcome: Outcome = { eventId, status: res.status, retryAfter: res.headers.get('retry-after') };
    if (res.status === 503) {
      const problem = (await res.json()) as { written: string; type: string };
      outcome.written = problem.written;
      outcome.type = problem.type;
    } else await res.arrayBuffer();
    outcomes.push(outcome);
    return outcome;
  };
  // Four devices-worth of steady traffic across the outage.
  const clients = Array.from({ length: 4 }, async () => {
    while (!stop) {
      await send();
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  await new Promise((r) => setTimeout(r, 1000));
  expect(outcomes.filter((o) => o.status === 202).length).toBeGreaterThan(0);

  await stopServer('kafka');
  const downFrom = outcomes.length;
  await new Promise((r) => setTimeout(r, 6000));
  const duringOutage = outcomes.slice(downFrom);
  const health = (await (await fetch(`${api.url}/healthz`)).json()) as { dependencies: { kafka: { up: boolean } } };
  expect(health.dependencies.kafka.up).toBe(false);
  // Readiness is about this process: a ready pod keeps answering 503 + Retry-After rather than vanishing.
  expect((await fetch(`${api.url}/readyz`)).status).toBe(200);

  await startServer('kafka');
  const recoveredBy = Date.now() + 90_000;
  while (Date.now() < recoveredBy) {
    const last = outcomes.at(-1);
    if (last?.status === 202 && outcomes.slice(-4).every((o) => o.status === 202)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  stop = true;
  await Promise.all(clients);

  const unavailable = duringOutage.filter((o) => o.status === 503);
  expect(unavailable.length).toBeGreaterThan(3);
  expect(duringOutage.every((o) => o.status === 503 || o.status === 202)).toBe(true);
  for (const o of unavailable) {
    expect(o.retryAfter).toBe('3');
    expect(o.type).toBe('https://floodgate.dev/problems/ingest-unavailable');
  }
  // Both kinds of 503: timed out while Kafka held them (may still land) and refused at the in-flight budget (never sent).
  expect(unavailable.some((o) => o.written === 'unknown')).toBe(true);
  expect(unavailable.some((o) => o.written === 'no')).toBe(true);
  expect(outcomes.slice(-4).every((o) => o.status === 202)).toBe(true);

  // Every 202 must be in Kafka; a 503 'no' must not be.
  const accepted = new Set(outcomes.filter((o) => o.status === 202).map((o) => o.eventId));
  const refused = new Set(outcomes.filter((o) => o.written === 'no').map((o) => o.eventId));
  const inKafka = new Set<string>();
  const groupId = `outage-check-${process.pid}-${Date.now()}`;
  await admin.setOffsets({ groupId, topic, partitions: startOffsets });
  await admin.disconnect();
  const consumer = kafka().consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() === deviceId) inKafka.add(JSON.parse(message.value!.toString()).eventId);
    },
  });
  const until = Date.now() + 60_000;
  while ([...accepted].some((id) => !inKafka.has(id)) && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
  await consumer.disconnect();
  expect([...accepted].filter((id) => !inKafka.has(id))).toEqual([]);
  expect([...refused].filter((id) => inKafka.has(id))).toEqual([]);
}, 240_000);

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
