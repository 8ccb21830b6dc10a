import path from 'node:path';
import { ROOT_CONTEXT, SpanKind, context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { sendInContext, producerContextOf } from '../../src/kafka-trace-context';
import { FloodgateKafkaJsInstrumentation } from '../../src/kafkajs-instrumentation';

// A real SDK tracer with an in-memory exporter, and the real instrumentation patching a fake kafkajs module whose
// producer only records what it was asked to send (no broker in a unit test).
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

interface SentMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}
interface SentBatch {
  topicMessages: { topic: string; messages: SentMessage[] }[];
}

/** What the instrumentation patches: `Kafka.prototype.producer` returning an object with send/sendBatch/transaction. */
class FakeKafka {
  static sent: SentBatch[] = [];
  producer() {
    return {
      // Headers are copied when kafkajs is called: that is what would go on the wire.
      sendBatch: async (batch: SentBatch) => {
        FakeKafka.sent.push(structuredClone(batch));
        return [];
      },
      send: async () => [],
      transaction: async () => ({}),
    };
  }
  consumer() {
    return { run: async () => undefined };
  }
}

const instrumentation = new FloodgateKafkaJsInstrumentation({ enabled: false });

// Two copies of @opentelemetry/api are installed: 1.9 beside this package, 1.10 at the root, which the SDK and the
// instrumentations load. Globals registered through the newer copy serve both (as the SDK's do in the services);
// registered through the older one, the instrumentation could not see them.
const otel = require(
  require.resolve('@opentelemetry/api', { paths: [path.dirname(require.resolve('@opentelemetry/instrumentation-kafkajs'))] }),
) as typeof import('@opentelemetry/api');

beforeAll(() => {
  otel.trace.setGlobalTracerProvider(provider);
  otel.context.setGlobalContextManager(contextManager);
  otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  instrumentation.setTracerProvider(provider);
  const [kafkajs] = instrumentation.getModuleDefinitions();
  kafkajs!.patch!({ Kafka: FakeKafka }, '2.2.4');
});
afterAll(async () => {
  await provider.shutdown();
  otel.trace.disable();
  otel.context.disable();
  otel.propagation.disable();
});
beforeEach(() => {
  exporter.reset();
  FakeKafka.sent = [];
});

const tracer = () => trace.getTracer('test');
const message = (key: string): SentMessage => ({ key, value: '{}', headers: { 'floodgate-schema': '1' } });
const request = (name: string): Span => tracer().startSpan(name, { kind: SpanKind.SERVER });
const traceparentOf = (s: Span | { spanContext(): { traceId: string; spanId: string } }) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`;

describe('the kafkajs instrumentation with pinned message contexts', () => {
  it('wraps the instrumentation version in use (fails if an upgrade removed _startProducerSpan)', () => {
    expect(instrumentation.respectsPinnedContexts).toBe(true);
  });

  it('parents each message of one sendBatch on its own request and puts that produce span in its headers', async () => {
    const a = request('POST /v1/events a');
    const b = request('POST /v1/events b');
    const messages = [message('dev-a1'), message('dev-a2'), message('dev-b1')];
    sendInContext(messages.slice(0, 2), trace.setSpan(ROOT_CONTEXT, a), { 'floodgate.ingest.coalesced_requests': 2 }); // a request's messages
    sendInContext(messages[2]!, trace.setSpan(ROOT_CONTEXT, b), { 'floodgate.ingest.coalesced_requests': 2 }); // or one message

    // Sent from a's context, as a timer armed by the first request would: b's message must still go to b's trace.
    const producer = new FakeKafka().producer();
    await context.with(trace.setSpan(ROOT_CONTEXT, a), () => producer.sendBatch({ topicMessages: [{ topic: 'floodgate.events', messages }] }));
    a.end();
    b.end();

    const sends = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
    expect(sends).toHaveLength(3);
    const sent = FakeKafka.sent[0]!.topicMessages[0]!.messages;
    sent.forEach((m, i) => {
      const owner = i < 2 ? a : b;
      const span = sends.find((s) => traceparentOf(s) === m.headers.traceparent);
      expect(span).toBeDefined(); // the header names this message's own produce span
      expect(span!.spanContext().traceId).toBe(owner.spanContext().traceId);
      expect(span!.parentSpanContext?.spanId).toBe(owner.spanContext().spanId);
      expect(span!.name).toBe('send floodgate.events');
      expect(span!.attributes).toMatchObject({ 'messaging.kafka.message.key': m.key, 'floodgate.ingest.coalesced_requests': 2 });
      expect(m.headers['floodgate-schema']).toBe('1'); // the other headers are untouched
    });
  });

  it('gives each message that shares one frozen headers object its own copy before writing its traceparent', async () => {
    const a = request('POST /v1/events shared');
    const shared = Object.freeze({ 'floodgate-schema': '1', 'floodgate-principal': 'gateway:g' });
    const messages = ['dev-s1', 'dev-s2'].map((key) => ({ key, value: '{}', headers: shared }));
    sendInContext(messages, trace.setSpan(ROOT_CONTEXT, a));
    await new FakeKafka().producer().sendBatch({ topicMessages: [{ topic: 'floodgate.events', messages }] });
    a.end();

    const sends = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
    const sent = FakeKafka.sent[0]!.topicMessages[0]!.messages;
    expect(sent.map((m) => m.headers.traceparent).sort()).toEqual(sends.map(traceparentOf).sort()); // one per message
    expect(new Set(sent.map((m) => m.headers.traceparent)).size).toBe(2);
    sent.forEach((m) => expect(m.headers).toMatchObject(shared));
    expect(shared).toEqual({ 'floodgate-schema': '1', 'floodgate-principal': 'gateway:g' }); // the shared object is untouched
    expect(messages[0]!.headers).not.toBe(messages[1]!.headers);
  });

  it('leaves a message nobody pinned to the context active at the send, as the stock instrumentation does', async () => {
    const active = request('some caller');
    const unpinned = message('dev-c');
    expect(producerContextOf(unpinned)).toBeUndefined();
    await context.with(trace.setSpan(ROOT_CONTEXT, active), () =>
      new FakeKafka().producer().sendBatch({ topicMessages: [{ topic: 'floodgate.events', messages: [unpinned] }] }),
    );
    active.end();
    const send = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(send.parentSpanContext?.spanId).toBe(active.spanContext().spanId);
    expect(FakeKafka.sent[0]!.topicMessages[0]!.messages[0]!.headers.traceparent).toBe(traceparentOf(send));
  });

  it('keeps the pinned context out of what kafkajs serializes', () => {
    const m = sendInContext(message('dev-d'), ROOT_CONTEXT);
    expect(Object.keys(m)).toEqual(['key', 'value', 'headers']);
    expect(JSON.parse(JSON.stringify(m))).toEqual(message('dev-d'));
    expect(producerContextOf(m)?.ctx).toBe(ROOT_CONTEXT);
  });
});
