import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { injectTraceHeaders, withExtractedContext } from '../../src/kafka-trace-context';

// A real SDK tracer with an in-memory exporter (the fake here is only the export destination).
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const tracer = () => trace.getTracer('test');

describe('trace context across Kafka', () => {
  it('turns the active span into traceparent/tracestate headers, captured when the message is built', () => {
    const headers = tracer().startActiveSpan('POST /v1/events', (span) => {
      const h = injectTraceHeaders();
      span.end();
      return { h, ctx: span.spanContext() };
    });
    expect(headers.h.traceparent).toBe(`00-${headers.ctx.traceId}-${headers.ctx.spanId}-01`);
    // Outside any span there is nothing to continue.
    expect(injectTraceHeaders()).toEqual({});
  });

  it('runs the work for a consumed message as a child of the producer span, linked to the batch span', async () => {
    const producer = tracer().startSpan('send floodgate.events', { kind: SpanKind.PRODUCER });
    const headers = trace.setSpan(context.active(), producer);
    const carried = injectTraceHeaders(headers);
    producer.end();
    // kafkajs hands headers over as Buffers.
    const kafkaHeaders = { traceparent: Buffer.from(carried.traceparent!), 'x-other': Buffer.from('1') };

    const batch = tracer().startSpan('poll floodgate.events', { kind: SpanKind.CLIENT });
    let inner: { traceId: string; spanId: string } | undefined;
    const result = await context.with(trace.setSpan(context.active(), batch), () =>
      withExtractedContext(
        kafkaHeaders,
        async () => {
          const db = tracer().startSpan('INSERT readings');
          inner = db.spanContext();
          db.end();
          return 42;
        },
        { topic: 'floodgate.events', partition: 3, offset: '17' },
      ),
    );
    batch.end();
    expect(result).toBe(42);

    const spans = exporter.getFinishedSpans();
    const processSpan = spans.find((s) => s.name === 'process floodgate.events')!;
    const dbSpan = spans.find((s) => s.name === 'INSERT readings')!;
    expect(processSpan.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(processSpan.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(processSpan.kind).toBe(SpanKind.CONSUMER);
    expect(processSpan.attributes).toMatchObject({ 'messaging.destination.partition.id': '3', 'messaging.kafka.offset': '17' });
    expect(processSpan.links.map((l) => l.context.spanId)).toEqual([batch.spanContext().spanId]);
    expect(inner!.traceId).toBe(producer.spanContext().traceId);
    expect(dbSpan.parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId);
  });

  it('records a failure on the process span and rethrows it', async () => {
    const failure = new Error('database down');
    await expect(withExtractedContext(undefined, () => Promise.reject(failure), { topic: 't' })).rejects.toBe(failure);
    const span = exporter.getFinishedSpans().find((s) => s.name === 'process t')!;
    expect(span.status.code).toBe(2);
    expect(span.events[0]?.name).toBe('exception');
  });

  it('starts a new trace for a message without trace headers', async () => {
    const traceId = await withExtractedContext({}, async () => trace.getActiveSpan()!.spanContext().traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
  });
});
