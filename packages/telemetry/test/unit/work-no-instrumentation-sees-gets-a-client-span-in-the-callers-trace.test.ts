import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { withClientSpan } from '../../src/client-span';

// A real SDK tracer with an in-memory exporter (the fake here is only the export destination).
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

it('runs the work in a client span under the active span, with its attributes and what the work adds', async () => {
  const parent = trace.getTracer('test').startSpan('process floodgate.events', { kind: SpanKind.CONSUMER });
  const result = await context.with(trace.setSpan(context.active(), parent), () =>
    withClientSpan('COPY readings', { 'db.system.name': 'postgresql' }, async (span) => {
      // The span is active inside: nested work joins it.
      expect(trace.getActiveSpan()).toBe(span);
      span.setAttribute('floodgate.db.copied_rows', 42);
      return 42;
    }),
  );
  parent.end();
  expect(result).toBe(42);
  const copy = exporter.getFinishedSpans().find((s) => s.name === 'COPY readings')!;
  expect(copy.kind).toBe(SpanKind.CLIENT);
  expect(copy.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  expect(copy.spanContext().traceId).toBe(parent.spanContext().traceId);
  expect(copy.attributes).toEqual({ 'db.system.name': 'postgresql', 'floodgate.db.copied_rows': 42 });
});

it('marks the span as failed, records the error and rethrows it', async () => {
  await expect(
    withClientSpan('COPY readings', {}, async () => {
      throw new Error('duplicate key value violates unique constraint');
    }),
  ).rejects.toThrow('duplicate key');
  const [span] = exporter.getFinishedSpans();
  expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'duplicate key value violates unique constraint' });
  expect(span!.events.map((e) => e.name)).toEqual(['exception']);
});
