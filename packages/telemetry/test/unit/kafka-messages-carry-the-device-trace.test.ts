import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { injectTraceHeaders, withBatchContext, withExtractedContext } from '../../src/kafka-trace-context';

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

  it('finds the trace headers whatever the case of their names, and only by their whole name', async () => {
    const producer = tracer().startSpan('send floodgate.events', { kind: SpanKind.PRODUCER });
    const { traceparent } = injectTraceHeaders(trace.setSpan(context.active(), producer));
    producer.end();
    const traceIdIn = (headers: Record<string, Buffer>) => withExtractedContext(headers, async () => trace.getActiveSpan()!.spanContext().traceId);
    const expected = producer.spanContext().traceId;
    expect(await traceIdIn({ 'x-a': Buffer.from('1'), TraceParent: Buffer.from(traceparent!) })).toBe(expected);
    expect(await traceIdIn({ traceparent: Buffer.from(traceparent!) })).toBe(expected);
    expect(await traceIdIn({ traceparentx: Buffer.from(traceparent!) })).not.toBe(expected);
  });

  it('starts a new trace for a message without trace headers', async () => {
    const traceId = await withExtractedContext({}, async () => trace.getActiveSpan()!.spanContext().traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
  });
});

describe('work shared by a batch of messages from several traces', () => {
  const produced = (name: string) => {
    const span = tracer().startSpan(name, { kind: SpanKind.PRODUCER });
    const headers = { traceparent: Buffer.from(injectTraceHeaders(trace.setSpan(context.active(), span)).traceparent!) };
    span.end();
    return { span, headers };
  };

  it('runs in the first trace and gives every other trace its own consumer span, linked to the batch work', async () => {
    const a = produced('send a');
    const b = produced('send b');
    const c = produced('send c');
    const messages = [
      { headers: undefined, offset: '9' }, // untraced (sent by something without tracing)
      { headers: a.headers, offset: '10' },
      { headers: b.headers, offset: '11' },
      { headers: a.headers, offset: '12' }, // a second message of the same request: no second span
      { headers: c.headers, offset: '13' },
    ];
    let workTrace = '';
    const result = await withBatchContext(
      messages,
      async () => {
        workTrace = trace.getActiveSpan()!.spanContext().traceId;
        tracer().startSpan('INSERT readings').end();
        return 'stored';
      },
      { topic: 'floodgate.events', partition: 2 },
    );
    expect(result).toBe('stored');
    expect(workTrace).toBe(a.span.spanContext().traceId);

    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'process floodgate.events');
    expect(spans).toHaveLength(3);
    const work = spans.find((s) => s.spanContext().traceId === a.span.spanContext().traceId)!;
    expect(work.parentSpanContext?.spanId).toBe(a.span.spanContext().spanId);
    expect(work.attributes['messaging.kafka.offset']).toBe('10');
    for (const [other, offset] of [
      [b, '11'],
      [c, '13'],
    ] as const) {
      const s = spans.find((x) => x.spanContext().traceId === other.span.spanContext().traceId)!;
      expect(s.parentSpanContext?.spanId).toBe(other.span.spanContext().spanId);
      expect(s.kind).toBe(SpanKind.CONSUMER);
      expect(s.attributes).toMatchObject({ 'messaging.kafka.offset': offset, 'messaging.destination.partition.id': '2' });
      expect(s.links.map((l) => l.context.spanId)).toEqual([work.spanContext().spanId]);
    }
    const insert = exporter.getFinishedSpans().find((s) => s.name === 'INSERT readings')!;
    expect(insert.parentSpanContext?.spanId).toBe(work.spanContext().spanId);
  });

  it('marks every trace’s span as failed when the shared work fails, and rethrows', async () => {
    const a = produced('send a');
    const b = produced('send b');
    const failure = new Error('database down');
    await expect(withBatchContext([{ headers: a.headers }, { headers: b.headers }], () => Promise.reject(failure), { topic: 't' })).rejects.toBe(failure);
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'process t');
    expect(spans.map((s) => s.status.code)).toEqual([2, 2]);
  });

  it('is withExtractedContext for a batch of one trace', async () => {
    const a = produced('send a');
    await withBatchContext([{ headers: a.headers }, { headers: a.headers }], () => undefined, { topic: 't' });
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'process t');
    expect(spans).toHaveLength(1);
    expect(spans[0]!.parentSpanContext?.spanId).toBe(a.span.spanContext().spanId);
  });
});
