import crypto from 'node:crypto';
import { Partitioners, type Kafka } from 'kafkajs';
import { topicNames } from '@floodgate/config';
import { stackEnv, up } from '@floodgate/devstack';
import { mintToken } from '../../../../services/api/src/auth/mint-token';
import { getTrace, parentOf, serviceOf, tag, type JaegerSpan, type JaegerTrace } from '../support/jaeger-query';
import { runMigrations, startService, type ServiceProcess } from '../support/service-process';
import { createOwnTopics, type OwnTopics } from '../support/own-topics';

/**
 * The API coalesces concurrent requests into one Kafka sendBatch. Every request must still get its whole trace:
 * its HTTP span, its own produce spans, and the worker's consume, PostgreSQL and Redis spans under them.
 * Each request writes a device on a partition of its own, so the worker handles each request's messages in a
 * batch of their own. When requests share a partition, they share the worker's batch and its one transaction too:
 * the last test shows what their traces hold then.
 */

const secret = 'e2e-coalesce-secret-0123456789abcdef';
const jwt = { JWT_SECRET: secret, JWT_ISSUER: 'floodgate-e2e', JWT_AUDIENCE: 'floodgate-api-e2e' };
const run = `${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
// Topics of this test's own: the worker's new group starts from an empty topic, never behind another test's backlog.
const prefix = `coalesce-e2e-${run}`;
const topics = topicNames(prefix);
const partitions = 12;
const REQUESTS = 4;
let kafka: Kafka;
let own: OwnTopics | undefined;
let api: ServiceProcess | undefined;
let worker: ServiceProcess | undefined;

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['jaeger'] });
  Object.assign(process.env, stackEnv(stack));
  runMigrations();
  own = await createOwnTopics(prefix, partitions);
  kafka = own.kafka;
  const env = { KAFKA_TOPIC_PREFIX: prefix };
  worker = await startService('floodgate-worker', 'services/worker/src/main.ts', {
    args: ['consume'],
    portVariable: 'HTTP_PORT',
    env: { ...env, WORKER_GROUP_ID: `floodgate-worker-coalesce-e2e-${run}` },
  });
  // The longest linger and one producer: concurrent requests wait for each other and share a send.
  api = await startService('floodgate-api', 'services/api/src/main.ts', {
    portVariable: 'PORT',
    env: { ...env, ...jwt, HOST: '127.0.0.1', INGEST_LINGER_MS: '100', INGEST_PRODUCERS: '1' },
  });
}, 240000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await own?.remove();
});

const partitionOf = (() => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return (deviceId: string) => partitioner({ topic: topics.events, partitionMetadata, message: { key: deviceId, value: null } });
})();
let deviceSeq = 0;
const taken = new Set<number>();

/** Device ids whose events land on partitions no earlier round used (the API's partitioner: the Java client's murmur2). */
function devicesOnDistinctPartitions(count: number): string[] {
  const chosen: string[] = [];
  while (chosen.length < count) {
    if (taken.size === partitions) throw new Error('no unused partition left for another round');
    const deviceId = `coalesce-${run}-${deviceSeq++}`;
    if (taken.has(partitionOf(deviceId))) continue;
    taken.add(partitionOf(deviceId));
    chosen.push(deviceId);
  }
  return chosen;
}

/** `count` device ids on one unused partition. */
function devicesOnOnePartition(count: number): string[] {
  const [first] = devicesOnDistinctPartitions(1);
  const chosen = [first!];
  while (chosen.length < count) {
    const deviceId = `coalesce-${run}-${deviceSeq++}`;
    if (partitionOf(deviceId) === partitionOf(first!)) chosen.push(deviceId);
  }
  return chosen;
}

interface Sent {
  traceId: string;
  callerSpanId: string;
  deviceId: string;
  events: number;
}

const kind = (s: JaegerSpan) => String(tag(s, 'span.kind'));
const isDb = (s: JaegerSpan, system: string) => tag(s, 'db.system') === system || tag(s, 'db.system.name') === system;
const apiProduces = (t: JaegerTrace) => t.spans.filter((s) => serviceOf(t, s) === 'floodgate-api' && kind(s) === 'producer');

function ancestors(t: JaegerTrace, span: JaegerSpan): JaegerSpan[] {
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const chain: JaegerSpan[] = [];
  for (let p = parentOf(span); p && byId.has(p); p = parentOf(byId.get(p)!)) chain.push(byId.get(p)!);
  return chain;
}

/** Polls Jaeger until every trace satisfies `done` (each process exports in its own batches). */
async function waitForTraces(sent: Sent[], done: (t: JaegerTrace, s: Sent) => boolean, timeoutMs: number): Promise<Map<string, JaegerTrace>> {
  const deadline = Date.now() + timeoutMs;
  const found = new Map<string, JaegerTrace>();
  while (Date.now() < deadline) {
    for (const s of sent) {
      if (found.has(s.traceId)) continue;
      const t = await getTrace(s.traceId);
      if (t && done(t, s)) found.set(s.traceId, t);
    }
    if (found.size === sent.length) return found;
    await new Promise((r) => setTimeout(r, 500));
  }
  const missing = sent.filter((s) => !found.has(s.traceId));
  const seen = await Promise.all(
    missing.map(async (s) => `${s.traceId}: ${((await getTrace(s.traceId))?.spans ?? []).map((x) => x.operationName).join(', ')}`),
  );
  throw new Error(
    `${missing.length} of ${sent.length} traces incomplete in Jaeger after ${timeoutMs} ms:\n  ${seen.join('\n  ')}\n(api log: ${api!.logFile}, worker log: ${worker!.logFile})`,
  );
}

/** Waits until the worker's group has committed every message of the events topic (so a new round starts on empty partitions). */
async function workerCaughtUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60000;
    for (;;) {
      const high = await admin.fetchTopicOffsets(topics.events);
      const [committed] = await admin.fetchOffsets({ groupId: `floodgate-worker-coalesce-e2e-${run}`, topics: [topics.events] });
      const behind = high.filter((p) => {
        const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
        return Number(p.high) > Number(p.low) && c < Number(p.high);
      });
      if (behind.length === 0) return;
      if (Date.now() > deadline) throw new Error(`worker still behind on partitions ${behind.map((p) => p.partition).join(', ')}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await admin.disconnect();
  }
}

let token = '';
const post = (body: unknown, traceparent?: string) =>
  fetch(`${api!.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
    body: JSON.stringify(body),
  });

/**
 * Posts one request per device at once, each continuing a trace of the test's own, and returns their traces once the
 * API's spans are in Jaeger. On a busy machine the requests may straddle two sends; then it tries again (up to five
 * rounds) with fresh devices from `pick`.
 */
async function sendCoalesced(pick: () => string[]): Promise<{ sent: Sent[]; produced: Map<string, JaegerTrace> }> {
  for (let round = 1; ; round++) {
    await workerCaughtUp();
    const sent = pick().map((deviceId, i) => ({
      traceId: crypto.randomBytes(16).toString('hex'),
      callerSpanId: crypto.randomBytes(8).toString('hex'),
      deviceId,
      events: 1 + (i % 2),
    }));
    const answers = await Promise.all(
      sent.map((s) =>
        post(
          {
            events: Array.from({ length: s.events }, (_, k) => ({
              deviceId: s.deviceId,
              ts: new Date(Date.now() + k).toISOString(),
              metrics: { rain_mm_h: k },
            })),
          },
          `00-${s.traceId}-${s.callerSpanId}-01`,
        ),
      ),
    );
    for (const a of answers) if (a.status !== 202) throw new Error(`POST /v1/events answered ${a.status}: ${await a.text()}`);
    const produced = await waitForTraces(sent, (t, s) => apiProduces(t).length === s.events, 30000);
    const coalesced = sent.every((s) =>
      apiProduces(produced.get(s.traceId)!).every((p) => Number(tag(p, 'floodgate.ingest.coalesced_requests')) === sent.length),
    );
    if (coalesced) return { sent, produced };
    if (round === 5) throw new Error(`the ${sent.length} concurrent requests never shared one Kafka send in ${round} rounds`);
  }
}

const workerSpans = (t: JaegerTrace) => t.spans.filter((x) => serviceOf(t, x) === 'floodgate-worker');

describe('requests coalesced into one Kafka send', () => {
  let sent: Sent[] = [];
  let produced = new Map<string, JaegerTrace>();

  beforeAll(async () => {
    token = await mintToken({ secret, issuer: jwt.JWT_ISSUER, audience: jwt.JWT_AUDIENCE, subject: `gw-${run}`, role: 'gateway' });
    // Warm up (token verification cache, connections, producer metadata) so the measured requests arrive together.
    const w = await post({ deviceId: devicesOnDistinctPartitions(1)[0], ts: new Date().toISOString(), metrics: { rain_mm_h: 0 } });
    if (w.status !== 202) throw new Error(`warm-up POST answered ${w.status}: ${await w.text()}`);
    ({ sent, produced } = await sendCoalesced(() => devicesOnDistinctPartitions(REQUESTS)));
  }, 240000);

  it('were sent in one sendBatch, which every request’s produce spans record', () => {
    const total = sent.reduce((n, s) => n + s.events, 0);
    for (const s of sent) {
      for (const p of apiProduces(produced.get(s.traceId)!)) {
        expect(Number(tag(p, 'floodgate.ingest.coalesced_requests'))).toBe(REQUESTS);
        expect(Number(tag(p, 'messaging.batch.message_count'))).toBe(total);
      }
    }
  });

  it('each keep their own trace in the API: the caller’s span, the HTTP server span, and one produce span per event under it', () => {
    for (const s of sent) {
      const t = produced.get(s.traceId)!;
      const server = t.spans.find((x) => serviceOf(t, x) === 'floodgate-api' && kind(x) === 'server');
      expect(server).toBeDefined();
      expect(parentOf(server!)).toBe(s.callerSpanId);
      const sends = apiProduces(t);
      expect(sends).toHaveLength(s.events);
      for (const p of sends) {
        expect(p.operationName).toBe(`send ${topics.events}`);
        expect(tag(p, 'messaging.kafka.message.key')).toBe(s.deviceId);
        expect(ancestors(t, p)).toContain(server);
      }
    }
  });

  it('each continue into the worker: consume under their own send, the Redis write under it, and the shared transaction under one consume and linked from the others', async () => {
    // The requests' events are on distinct partitions: one worker batch each, handed over together and written in one
    // transaction (group commit). A span has one parent, so the transaction's spans are in one trace, under that
    // trace's consume span; every other batch's consume span links to it. (A fetch that split them would make two
    // transactions: then each holder is checked the same way.)
    const consumeOf = (t: JaegerTrace) => {
      const sends = new Set(apiProduces(t).map((p) => p.spanID));
      return t.spans.find((x) => serviceOf(t, x) === 'floodgate-worker' && kind(x) === 'consumer' && sends.has(parentOf(x) ?? ''));
    };
    const insertOf = (t: JaegerTrace) =>
      t.spans.find(
        (x) =>
          serviceOf(t, x) === 'floodgate-worker' && isDb(x, 'postgresql') && /INSERT|COPY/i.test(String(tag(x, 'db.statement') ?? tag(x, 'db.query.text'))),
      );
    const complete = (t: JaegerTrace) => consumeOf(t) !== undefined && t.spans.some((x) => serviceOf(t, x) === 'floodgate-worker' && isDb(x, 'redis'));
    const traces = await waitForTraces(sent, complete, 60000);
    const holders = new Map<string, JaegerSpan>(); // the consume span a transaction ran under, by span id
    for (const s of sent) {
      const t = traces.get(s.traceId)!;
      const consume = consumeOf(t)!;
      const cache = t.spans.find((x) => serviceOf(t, x) === 'floodgate-worker' && isDb(x, 'redis'));
      expect(ancestors(t, cache!)).toContain(consume);
      const insert = insertOf(t);
      if (insert) {
        expect(ancestors(t, insert)).toContain(consume);
        holders.set(consume.spanID, consume);
      }
    }
    expect(holders.size).toBeGreaterThanOrEqual(1);
    for (const s of sent) {
      const t = traces.get(s.traceId)!;
      const consume = consumeOf(t)!;
      if (holders.has(consume.spanID)) continue;
      const linked = (consume.references ?? []).filter((r) => r.refType === 'FOLLOWS_FROM' && holders.has(r.spanID));
      expect({ trace: s.traceId, linkedToATransaction: linked.length > 0 }).toEqual({ trace: s.traceId, linkedToATransaction: true });
    }
  }, 120000);

  it('that also share the worker’s batch each show its consume under their own send, linked to the one transaction', async () => {
    // Two requests on one partition: one Kafka record batch, so one worker batch and one database transaction.
    const shared = await sendCoalesced(() => devicesOnOnePartition(2));
    const consumedUnderOwnSend = (t: JaegerTrace) => {
      const sends = new Set(apiProduces(t).map((p) => p.spanID));
      return workerSpans(t).find((x) => kind(x) === 'consumer' && sends.has(parentOf(x) ?? ''));
    };
    const traces = await waitForTraces(shared.sent, (t) => consumedUnderOwnSend(t) !== undefined, 60000);
    // The transaction joins one of the traces (the first message's); a span has one parent.
    const hasWork = (t: JaegerTrace) => workerSpans(t).some((x) => isDb(x, 'postgresql')) && workerSpans(t).some((x) => isDb(x, 'redis'));
    const withWork = [...traces.values()].filter(hasWork);
    expect(withWork).toHaveLength(1);
    const work = consumedUnderOwnSend(withWork[0]!)!;
    const other = [...traces.values()].find((t) => !hasWork(t))!;
    const consume = consumedUnderOwnSend(other)!;
    expect(consume.operationName).toBe(`process ${topics.events}`);
    expect(consume.references).toContainEqual(expect.objectContaining({ refType: 'FOLLOWS_FROM', traceID: work.traceID, spanID: work.spanID }));
  }, 240000);
});
