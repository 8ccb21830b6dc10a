/**
 * What the worker scenarios share: deterministic events, a pre-filled 12-partition topic, one worker process and the
 * drain clock (first transaction to last offset commit), and the sustainable drain rate of this run — measured by
 * `worker-drain`, reused by `e2e-latency` when both run in one harness process.
 */
import type { Admin, Kafka } from 'kafkajs';
import pg from 'pg';
import { encodeEventMessage, type DeviceEvent } from '@floodgate/events';
import { freePort } from '@floodgate/devstack';
import type { Resources } from '../harness/resources';
import type { Series, StackEnvironment } from '../harness/scenario';
import { createDatabase, createTopics, sleep, startWorker } from '../harness/services';

export interface EventFactory {
  devices: number;
  /** Event number i, the same every time it is asked for (the drain and the COPY get identical rows). */
  at(i: number): DeviceEvent;
}

/** Events spread over `devices` devices, 10 ms apart in event time, ending about now. */
export function eventFactory(total: number, devices: number, idPrefix = '0193a000-0000-7000-8000-'): EventFactory {
  const base = Date.now() - total * 10 - 60_000;
  return {
    devices,
    at: (i) => ({
      eventId: `${idPrefix}${i.toString(16).padStart(12, '0')}`,
      deviceId: `dev-${i % devices}`,
      ts: new Date(base + i * 10).toISOString(),
      metrics: { rain_mm_h: (i % 50) / 10, soil_moisture_pct: 20 + (i % 15), battery_v: 3.9 },
    }),
  };
}

/** Produces `total` events as the API would (key = device, JSON value, ingest-time header), acks=all; seconds taken. */
export async function prefill(kafka: Kafka, topic: string, total: number, events: EventFactory): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  try {
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < total; i += 1000) {
      const messages = [];
      for (let j = i; j < Math.min(total, i + 1000); j++) messages.push(encodeEventMessage(events.at(j), Date.now(), 'bench'));
      inFlight.push(producer.send({ topic, acks: -1, messages }));
      if (inFlight.length >= 8) await Promise.all(inFlight.splice(0));
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return (performance.now() - started) / 1000;
}

/**
 * The group's committed offsets summed over the topic's partitions. A retriable Kafka error (the group coordinator
 * still loading, say, on a broker just started: kafkajs's admin does not retry it) answers undefined, "not known
 * yet": the caller polls again.
 */
export async function committedOffsets(admin: Admin, group: string, topic: string): Promise<number | undefined> {
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } catch (err) {
    if ((err as { retriable?: boolean }).retriable === true) return undefined;
    throw err;
  }
}

/** Topics, a migrated database and one worker process under a fresh prefix. */
export interface WorkerBed {
  prefix: string;
  topic: string;
  group: string;
  databaseUrl: string;
  /** The worker's Prometheus endpoint (its ops port, chosen free when the bed is made). */
  metricsUrl: string;
  startWorker(): ReturnType<typeof startWorker>;
}

export async function workerBed(res: Resources, stack: StackEnvironment, admin: Admin, id: string): Promise<WorkerBed> {
  const prefix = `bench-${id}`;
  const names = await createTopics(res, admin, prefix);
  const databaseUrl = await createDatabase(res, stack, `bench_drain_${id}`);
  const group = `${prefix}-worker`;
  const httpPort = await freePort();
  return {
    prefix,
    topic: names.events,
    group,
    databaseUrl,
    metricsUrl: `http://127.0.0.1:${httpPort}/metrics`,
    startWorker: () => startWorker(res, stack, { prefix, databaseUrl, group, httpPort }),
  };
}

export interface DrainMeasurement {
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** Committed events over time, seconds since `origin`. */
  progress: Series;
}

/**
 * Starts the bed's worker on a pre-filled topic and times the drain: the clock starts when the first batch's
 * transaction began (min(stored_at) on the same machine clock), so process start-up and the group join are not
 * counted, and stops when every offset is committed (the worker commits only after the rows are durable).
 */
export async function measureDrain(bed: WorkerBed, admin: Admin, total: number, origin: number, timeoutMs = 600_000): Promise<DrainMeasurement> {
  const worker = bed.startWorker();
  const points: Array<[number, number]> = [];
  const until = Date.now() + timeoutMs;
  let lastSample = 0;
  for (;;) {
    const done = await committedOffsets(admin, bed.group, bed.topic);
    if (done === undefined) {
      await sleep(50);
      continue;
    }
    if (Date.now() - lastSample >= 250 || done >= total) {
      points.push([Math.round((Date.now() - origin) / 100) / 10, done]);
      lastSample = Date.now();
    }
    if (done >= total) break;
    if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode} after ${done} of ${total} events`);
    if (Date.now() > until) throw new Error(`the worker committed ${done} of ${total} events within ${timeoutMs} ms`);
    await sleep(50);
  }
  const t1 = Date.now();
  const check = new pg.Client({ connectionString: bed.databaseUrl });
  await check.connect();
  try {
    const [row] = (await check.query<{ n: string; first: Date }>('SELECT count(*) AS n, min(stored_at) AS first FROM readings')).rows;
    const stored = Number(row!.n);
    if (stored !== total) throw new Error(`the drain stored ${stored} rows, expected ${total}`);
    const seconds = (t1 - row!.first.getTime()) / 1000;
    return { events: total, seconds, eventsPerSec: Math.round(total / seconds), progress: { name: 'events committed', unit: 'events', points } };
  } finally {
    await check.end();
  }
}

/** The sustainable drain rate measured in this harness process, for `e2e-latency` (undefined until measured). */
let measuredDrain: { eventsPerSec: number; events: number; by: string } | undefined;

export function recordDrainRate(eventsPerSec: number, events: number, by: string): void {
  measuredDrain = { eventsPerSec, events, by };
}

export function drainRateOfThisRun(): typeof measuredDrain {
  return measuredDrain;
}
