import crypto from 'node:crypto';
import { stackEnv, up } from '@floodgate/devstack';
import { mintToken } from '../../../../services/api/src/auth/mint-token';
import { parentOf, serviceOf, tag, waitForTrace, type JaegerSpan, type JaegerTrace } from '../support/jaeger-query';
import { createOwnTopics, type OwnTopics } from '../support/own-topics';
import { runMigrations, startService, type ServiceProcess } from '../support/service-process';

const secret = 'e2e-telemetry-secret-0123456789abcdef';
const jwt = { JWT_SECRET: secret, JWT_ISSUER: 'floodgate-e2e', JWT_AUDIENCE: 'floodgate-api-e2e' };
// Topics and a group of its own: the event is the only one the worker sees, so its batch (whose database and Redis
// work joins the first traced message's trace) is this event's alone, whatever other tests left in the shared topics.
const prefix = `trace-e2e-${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
let own: OwnTopics | undefined;
let api: ServiceProcess | undefined;
let worker: ServiceProcess | undefined;

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['jaeger'] });
  Object.assign(process.env, stackEnv(stack));
  runMigrations();
  own = await createOwnTopics(prefix, 3);
  const env = { KAFKA_TOPIC_PREFIX: prefix };
  worker = await startService('floodgate-worker', 'services/worker/src/main.ts', {
    args: ['consume'],
    portVariable: 'HTTP_PORT',
    env: { ...env, WORKER_GROUP_ID: `floodgate-worker-${prefix}` },
  });
  api = await startService('floodgate-api', 'services/api/src/main.ts', { portVariable: 'PORT', env: { ...env, ...jwt, HOST: '127.0.0.1' } });
}, 240000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await own?.remove();
});

const kind = (s: JaegerSpan) => String(tag(s, 'span.kind'));
const isDb = (s: JaegerSpan, system: string) => tag(s, 'db.system') === system || tag(s, 'db.system.name') === system;

function ancestors(t: JaegerTrace, span: JaegerSpan): JaegerSpan[] {
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const chain: JaegerSpan[] = [];
  for (let p = parentOf(span); p && byId.has(p); p = parentOf(byId.get(p)!)) chain.push(byId.get(p)!);
  return chain;
}

/** The worker trace that merely links to ours (kafkajs eachBatch: a `process` span FOLLOWS_FROM the producer, under a root `poll`). */
async function whereDidTheWorkerSpansGo(traceId: string): Promise<string> {
  const res = await fetch(`${process.env.FLOODGATE_JAEGER_QUERY_URL}/api/traces?service=floodgate-worker&limit=500&lookback=1h`);
  const traces = ((await res.json()) as { data?: JaegerTrace[] }).data ?? [];
  const linked = traces.find((t) => t.spans.some((s) => s.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.traceID === traceId)));
  if (!linked) return 'the worker exported no span that refers to this trace at all';
  const root = linked.spans.find((s) => s.references.length === 0);
  return (
    `the worker's spans are in trace ${linked.traceID} under "${root?.operationName}", only linked (FOLLOWS_FROM) to this one: ` +
    `its eachBatch handler must run a message's work inside withExtractedContext(message.headers, ...) from @floodgate/telemetry ` +
    `(spans there: ${[...new Set(linked.spans.map((s) => s.operationName))].join(', ')})`
  );
}

describe('one trace from the device to the database', () => {
  const traceId = crypto.randomBytes(16).toString('hex');
  const callerSpanId = crypto.randomBytes(8).toString('hex');
  let token = '';

  beforeAll(async () => {
    const deviceId = `trace-e2e-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    token = await mintToken({ secret, issuer: jwt.JWT_ISSUER, audience: jwt.JWT_AUDIENCE, subject: deviceId, role: 'device' });
    // The device (or its gateway) starts the trace: the API must continue it, not start its own.
    const res = await fetch(`${api!.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify({ deviceId, ts: new Date().toISOString(), metrics: { rain_mm_h: 12.5 }, payload: { firmware: '1.2.3' } }),
    });
    if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
  }, 60000);

  it('continues the caller’s trace in the API, through the Kafka send', async () => {
    // Each process exports in its own batches: wait for every span asserted on, not just the first to arrive.
    const trace = await waitForTrace(
      traceId,
      (t) => ['server', 'producer'].every((k) => t.spans.some((s) => serviceOf(t, s) === 'floodgate-api' && kind(s) === k)),
      30000,
    );
    const server = trace.spans.find((s) => serviceOf(trace, s) === 'floodgate-api' && kind(s) === 'server');
    expect(server).toBeDefined();
    expect(parentOf(server!)).toBe(callerSpanId);
    const produce = trace.spans.find((s) => serviceOf(trace, s) === 'floodgate-api' && kind(s) === 'producer');
    expect(produce?.operationName).toMatch(/^send .*\.events$/);
    expect(ancestors(trace, produce!)).toContain(server);
  }, 60000);

  it('joins the worker’s Kafka consume, PostgreSQL write and Redis update to the same trace, under the send', async () => {
    const needed = (t: JaegerTrace) =>
      t.spans.some((s) => serviceOf(t, s) === 'floodgate-api' && kind(s) === 'producer') &&
      t.spans.some((s) => serviceOf(t, s) === 'floodgate-worker' && kind(s) === 'consumer') &&
      t.spans.some((s) => serviceOf(t, s) === 'floodgate-worker' && isDb(s, 'postgresql')) &&
      t.spans.some((s) => serviceOf(t, s) === 'floodgate-worker' && isDb(s, 'redis'));
    let trace: JaegerTrace;
    try {
      trace = await waitForTrace(traceId, needed, 45000);
    } catch (err) {
      // Say where the worker's spans went instead, so the failure names the gap rather than a timeout.
      throw new Error(`${(err as Error).message}\n${await whereDidTheWorkerSpansGo(traceId)}\n(api log: ${api!.logFile}, worker log: ${worker!.logFile})`, {
        cause: err,
      });
    }
    const services = (s: JaegerSpan) => serviceOf(trace, s);
    const produce = trace.spans.find((s) => services(s) === 'floodgate-api' && kind(s) === 'producer');
    const consume = trace.spans.find((s) => services(s) === 'floodgate-worker' && kind(s) === 'consumer' && parentOf(s) === produce?.spanID);
    expect(consume).toBeDefined();

    // The reading is stored by COPY (the fast path) and the device's latest state by an INSERT ... ON CONFLICT.
    const statement = (s: JaegerSpan) => String(tag(s, 'db.statement') ?? tag(s, 'db.query.text') ?? s.operationName);
    const dbSpans = trace.spans.filter((s) => services(s) === 'floodgate-worker' && isDb(s, 'postgresql'));
    for (const written of [/COPY readings/i, /INSERT INTO devices/i]) {
      const write = dbSpans.find((s) => written.test(statement(s)));
      if (!write) throw new Error(`no worker span for ${written}; PostgreSQL spans: ${JSON.stringify(dbSpans.map((s) => [s.operationName, s.tags]))}`);
      expect(ancestors(trace, write)).toContain(consume);
    }

    const cache = trace.spans.find((s) => services(s) === 'floodgate-worker' && isDb(s, 'redis'));
    expect(ancestors(trace, cache!)).toContain(consume);
  }, 120000);

  it('never records the payload or the token in a span', async () => {
    const trace = await waitForTrace(traceId, (t) => new Set(t.spans.map((s) => serviceOf(t, s))).size >= 2, 30000);
    const everyTag = JSON.stringify(trace.spans.map((s) => s.tags));
    expect(everyTag).not.toContain('1.2.3');
    expect(everyTag).not.toContain(token);
  }, 60000);
});
