import { ROOT_CONTEXT, TraceFlags, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Producer, ProducerBatch } from 'kafkajs';
import { createLogger } from '@floodgate/config';
import type { EventMessage } from '@floodgate/events';
import { producerContextOf } from '@floodgate/telemetry/src/kafka-trace-context';
import { BatchingProducer } from '../../src/batching-producer';
import { createMetrics } from '../../src/metrics';

// Real context propagation (AsyncLocalStorage); the Kafka producer is a fake that records each sendBatch.
const contextManager = new AsyncLocalStorageContextManager().enable();
beforeAll(() => context.setGlobalContextManager(contextManager));
afterAll(() => context.disable());

const fakeProducer = (calls: ProducerBatch[]) => ({
  connect: () => Promise.resolve(),
  sendBatch: (b: ProducerBatch) => {
    calls.push(b);
    return Promise.resolve([]);
  },
});
const msg = (v: string): EventMessage => ({ key: v, value: v, headers: {} });
const requestContext = (n: number) =>
  trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ traceId: `${n}`.padStart(32, 'a'), spanId: `${n}`.padStart(16, 'b'), traceFlags: TraceFlags.SAMPLED }));
const traceIdOf = (m: EventMessage) => trace.getSpanContext(producerContextOf(m)!.ctx)?.traceId;

describe('the coalescing producer and tracing', () => {
  it('pins every message of a shared sendBatch to the context of the request that sent it', async () => {
    const calls: ProducerBatch[] = [];
    const metrics = createMetrics();
    const producer = new BatchingProducer(
      [fakeProducer(calls) as unknown as Producer],
      { topic: 'floodgate.events', lingerMs: 5, maxBatchMessages: 100, maxInflightEvents: 100, ackTimeoutMs: 1000 },
      metrics,
      createLogger('test', 'silent'),
    );
    const first = [msg('a1'), msg('a2')];
    const second = [msg('b1')];
    // Each request sends from inside its own context, as the HTTP server span is active in its handler.
    await Promise.all([context.with(requestContext(1), () => producer.send(first)), context.with(requestContext(2), () => producer.send(second))]);

    expect(calls).toHaveLength(1); // coalesced into one send
    const sent = calls[0]!.topicMessages![0]!.messages as EventMessage[];
    expect(sent.map(traceIdOf)).toEqual([requestContext(1), requestContext(1), requestContext(2)].map((c) => trace.getSpanContext(c)!.traceId));
    for (const m of sent) {
      expect(producerContextOf(m)!.attributes).toEqual({ 'messaging.batch.message_count': 3, 'floodgate.ingest.coalesced_requests': 2 });
    }
    const histogram = await metrics.ingestBatchRequests.get();
    expect(histogram.values.find((v) => v.metricName === 'floodgate_ingest_batch_requests_sum')?.value).toBe(2);
    expect(histogram.values.find((v) => v.metricName === 'floodgate_ingest_batch_requests_count')?.value).toBe(1);
  });
});
