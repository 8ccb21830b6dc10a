import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { topicNames } from '@floodgate/config';
import { bearer, startApiUnderTest, uniqueDevice, type ApiUnderTest } from '../support/api-under-test';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let consumer: Consumer;
const seen: { key: string; value: string; headers: Record<string, string> }[] = [];
const topic = topicNames(process.env.KAFKA_TOPIC_PREFIX).events;

function headersOf(m: KafkaMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]));
}

async function waitFor<T>(find: () => T | undefined, ms = 15000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error('not seen in Kafka in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest();
  const kafka = new Kafka({ clientId: 'ingest-test', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  consumer = kafka.consumer({ groupId: `ingest-test-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let ready!: () => void;
  const joined = new Promise<void>((r) => (ready = r));
  consumer.on(consumer.events.GROUP_JOIN, () => ready());
  await consumer.run({
    eachMessage: async ({ message }) => void seen.push({ key: message.key!.toString(), value: message.value!.toString(), headers: headersOf(message) }),
  });
  await joined;
});

// Leaving the consumer group can take a session timeout (about 5 s).
afterAll(async () => {
  await consumer?.disconnect();
  await api?.shutdown();
}, 30_000);

describe('POST /v1/events makes events durable in Kafka', () => {
  it('answers 202 with the event id, and the message carries key = deviceId, the event as value, ingest time and trace headers', async () => {
    const deviceId = uniqueDevice('river');
    const token = await api.token(deviceId, 'device');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const before = Date.now();
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: bearer(token, { traceparent }),
      body: JSON.stringify({ deviceId, ts: '2026-11-23T10:00:00+01:00', metrics: { rain_mm_h: 12.5, soil_moisture_pct: 41 }, payload: { fw: '1.2.0' } }),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; eventIds: string[] };
    expect(body.accepted).toBe(1);
    expect(body.eventIds[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/); // assigned UUIDv7

    const message = await waitFor(() => seen.find((m) => m.key === deviceId));
    expect(JSON.parse(message.value)).toEqual({
      eventId: body.eventIds[0],
      deviceId,
      ts: '2026-11-23T09:00:00.000Z',
      metrics: { rain_mm_h: 12.5, soil_moisture_pct: 41 },
      payload: { fw: '1.2.0' },
    });
    const ingestTime = Number(message.headers['floodgate-ingest-time']);
    expect(ingestTime).toBeGreaterThanOrEqual(before);
    expect(ingestTime).toBeLessThanOrEqual(Date.now());
    expect(message.headers['floodgate-schema']).toBe('floodgate.event.v1');
    expect(message.headers['floodgate-principal']).toBe(`device:${deviceId}`);
    // The caller's trace continues: same trace id, a new span id for the ingest.
    expect(message.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(message.headers.traceparent).not.toContain('00f067aa0ba902b7');
  });

  it('keeps the eventId a client chose, so a retry is the same event', async () => {
    const deviceId = uniqueDevice('slope');
    const token = await api.token('gw-1', 'gateway');
    const eventId = '0190d5a0-1111-7000-8000-0000000000aa';
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({ eventId, deviceId, ts: '2026-11-23T10:00:00Z', metrics: { tilt_deg: 0.4 } }),
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { eventIds: string[] }).eventIds).toEqual([eventId]);
    const message = await waitFor(() => seen.find((m) => m.key === deviceId));
    expect(JSON.parse(message.value).eventId).toBe(eventId);
  });

  it('produces a whole batch, every event under its own device key', async () => {
    const devices = [uniqueDevice('a'), uniqueDevice('b'), uniqueDevice('c')];
    const token = await api.token('gw-2', 'gateway');
    const events = devices.flatMap((deviceId, i) => [0, 1].map((j) => ({ deviceId, ts: `2026-11-23T10:0${j}:00Z`, metrics: { river_level_m: i + j / 10 } })));
    const res = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: bearer(token), body: JSON.stringify({ events }) });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; eventIds: string[] };
    expect(body.accepted).toBe(6);
    await waitFor(() => (devices.every((d) => seen.filter((m) => m.key === d).length === 2) ? true : undefined));
    for (const id of body.eventIds) expect(seen.some((m) => JSON.parse(m.value).eventId === id)).toBe(true);
  });

  it('produces nothing when one event of a batch is invalid, and the 400 names its index', async () => {
    const deviceId = uniqueDevice('bad-batch');
    const token = await api.token('gw-3', 'gateway');
    const good = { deviceId, ts: '2026-11-23T10:00:00Z', metrics: { rain_mm_h: 1 } };
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({ events: [good, good, { ...good, metrics: { rain_mm_h: 'heavy' } }, good] }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { type: string; errors: { index: number; pointer: string }[] };
    expect(problem.type).toBe('https://floodgate.dev/problems/validation');
    expect(problem.errors).toEqual([expect.objectContaining({ index: 2, pointer: '/metrics/rain_mm_h' })]);

    // A later valid event for the same device proves the consumer is caught up; none of the bad batch may precede it.
    const marker = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({ ...good, metrics: { rain_mm_h: 99 } }),
    });
    expect(marker.status).toBe(202);
    await waitFor(() => seen.find((m) => m.key === deviceId));
    expect(seen.filter((m) => m.key === deviceId).map((m) => JSON.parse(m.value).metrics.rain_mm_h)).toEqual([99]);
  });

  it('counts events and producer batches in /metrics, by route template and outcome, never by device id', async () => {
    const deviceId = uniqueDevice('counted');
    const token = await api.token(deviceId, 'device');
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({ deviceId, ts: '2026-11-23T10:00:00Z', metrics: { tilt_deg: 1 } }),
    });
    expect(res.status).toBe(202);
    await fetch(`${api.url}/v1/devices/${deviceId}`, { headers: bearer(await api.token('v', 'viewer')) });
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(Number(/^floodgate_ingest_events_total\{outcome="accepted"\} (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^floodgate_ingest_batches_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^http_requests_total\{method="POST",route="\/v1\/events",status="202"\} \d+/m);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/devices\/:id"\}/m);
    expect(text).toMatch(/^floodgate_producer_send_duration_seconds_count \d+/m);
    expect(text).toMatch(/^floodgate_producer_inflight_events 0/m);
    expect(text).toMatch(/^floodgate_dependency_up\{dependency="kafka"\} [01]/m);
    expect(text).not.toContain(deviceId);
  });
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
