import type { Producer, ProducerBatch } from 'kafkajs';
import { createLogger } from '@floodgate/config';
import type { EventMessage } from '@floodgate/events';
import { BatchingProducer, IngestUnavailableError, type BatchingProducerOptions } from '../../src/batching-producer';
import { createMetrics } from '../../src/metrics';

/** A fake kafkajs producer: records each sendBatch and settles it when the test says so. */
class FakeProducer {
  calls: { batch: ProducerBatch; resolve: () => void; reject: (e: Error) => void }[] = [];
  sendBatch(batch: ProducerBatch): Promise<unknown> {
    return new Promise((resolve, reject) => this.calls.push({ batch, resolve: () => resolve([]), reject }));
  }
  messagesOf(i: number): string[] {
    return this.calls[i]!.batch.topicMessages!.flatMap((t) => t.messages.map((m) => String(m.value)));
  }
}

const msg = (v: string): EventMessage => ({ key: 'd', value: v, headers: {} });
const options: BatchingProducerOptions = {
  topic: 'floodgate.events',
  lingerMs: 5,
  maxBatchMessages: 100,
  maxInflightEvents: 10,
  ackTimeoutMs: 1000,
};
const settle = () => new Promise((r) => setTimeout(r, 20));

/** `producers` fakes share one call log, so tests see every send in order whichever producer made it. */
function make(overrides: Partial<BatchingProducerOptions> = {}, producers = 1) {
  const fake = new FakeProducer();
  const fakes = Array.from({ length: producers }, () => ({ connect: () => Promise.resolve(), sendBatch: (b: ProducerBatch) => fake.sendBatch(b) }));
  const metrics = createMetrics();
  const producer = new BatchingProducer(fakes as unknown as Producer[], { ...options, ...overrides }, metrics, createLogger('test', 'silent'));
  return { fake, producer, metrics };
}

describe('the coalescing producer', () => {
  it('sends the messages of concurrent requests in one sendBatch with acks=all, and resolves each only after the ack', async () => {
    const { fake, producer } = make();
    let done = 0;
    const requests = [producer.send([msg('a')]), producer.send([msg('b'), msg('c')]), producer.send([msg('d')])].map((p) => p.then(() => done++));
    await settle();
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.batch.acks).toBe(-1);
    expect(fake.messagesOf(0)).toEqual(['a', 'b', 'c', 'd']);
    expect(done).toBe(0); // nothing is acknowledged before Kafka acknowledged
    fake.calls[0]!.resolve();
    await Promise.all(requests);
    expect(done).toBe(3);
  });

  it('collects what arrives during a send into the next send', async () => {
    const { fake, producer } = make();
    const first = producer.send([msg('a')]);
    await settle();
    const later = [producer.send([msg('b')]), producer.send([msg('c')])];
    await settle();
    expect(fake.calls).toHaveLength(1); // one producer: one send in flight
    fake.calls[0]!.resolve();
    await first;
    await settle();
    expect(fake.calls).toHaveLength(2);
    expect(fake.messagesOf(1)).toEqual(['b', 'c']);
    fake.calls[1]!.resolve();
    await Promise.all(later);
  });

  it('refuses with written=no beyond the in-flight budget, and frees the budget when Kafka settles', async () => {
    const { fake, producer, metrics } = make();
    const held = producer.send(Array.from({ length: 8 }, (_, i) => msg(String(i))));
    await expect(producer.send([msg('x'), msg('y'), msg('z')])).rejects.toMatchObject({ name: 'IngestUnavailableError', written: 'no' });
    expect((await metrics.producerInflight.get()).values[0]!.value).toBe(8);
    await settle();
    fake.calls[0]!.resolve();
    await held;
    expect(producer.inflightEvents).toBe(0);
    const next = producer.send([msg('x'), msg('y'), msg('z')]);
    await settle();
    fake.calls[1]!.resolve();
    await next;
  });

  it('answers written=unknown after the ack timeout but keeps counting the events until Kafka settles them', async () => {
    const { fake, producer } = make({ ackTimeoutMs: 30 });
    const p = producer.send([msg('a')]);
    await expect(p).rejects.toBeInstanceOf(IngestUnavailableError);
    await expect(p).rejects.toMatchObject({ written: 'unknown' });
    expect(producer.inflightEvents).toBe(1); // still in kafkajs's hands: memory stays bounded by the budget
    fake.calls[0]!.resolve();
    await settle();
    expect(producer.inflightEvents).toBe(0);
  });

  it('rejects every request of a batch Kafka refused', async () => {
    const { fake, producer } = make();
    const requests = [producer.send([msg('a')]), producer.send([msg('b')])];
    await settle();
    fake.calls[0]!.reject(new Error('NOT_ENOUGH_REPLICAS'));
    for (const r of requests) await expect(r).rejects.toThrow(/NOT_ENOUGH_REPLICAS/);
  });

  it('splits at the batch size and flushes everything on close', async () => {
    const { fake, producer } = make({ maxBatchMessages: 2, lingerMs: 50 }, 4);
    const requests = [producer.send([msg('a'), msg('b')]), producer.send([msg('c')])];
    await new Promise((r) => setImmediate(r));
    expect(fake.calls).toHaveLength(1); // the full batch left without waiting for the linger
    const closing = producer.close();
    await settle();
    expect(fake.calls).toHaveLength(2);
    fake.calls.forEach((c) => c.resolve());
    await Promise.all(requests);
    await closing;
    await expect(producer.send([msg('late')])).rejects.toMatchObject({ written: 'no' });
  });

  it('overlaps sends across producers, one in flight per producer', async () => {
    const { fake, producer } = make({ maxBatchMessages: 1, lingerMs: 0 }, 2);
    const requests = ['a', 'b', 'c'].map((v) => producer.send([msg(v)]));
    await settle();
    expect(fake.calls).toHaveLength(2); // the third waits for a free producer
    fake.calls[0]!.resolve();
    await settle();
    expect(fake.calls).toHaveLength(3);
    expect([0, 1, 2].map((i) => fake.messagesOf(i)[0])).toEqual(['a', 'b', 'c']);
    fake.calls.forEach((c) => c.resolve());
    await Promise.all(requests);
  });

  it('sends nothing on a producer before its connect resolved (kafkajs gets the idempotent producer id there)', async () => {
    const fake = new FakeProducer();
    let connected!: () => void;
    const connects: number[] = [];
    const kafkaProducer = {
      connect: () => {
        connects.push(Date.now());
        return new Promise<void>((resolve) => (connected = resolve));
      },
      sendBatch: (b: ProducerBatch) => fake.sendBatch(b),
    };
    const producer = new BatchingProducer([kafkaProducer as unknown as Producer], options, createMetrics(), createLogger('test', 'silent'));
    producer.connectInBackground(() => undefined);
    const request = producer.send([msg('a')]);
    await settle();
    expect(fake.calls).toHaveLength(0); // waiting for the connect, not racing it
    expect(connects).toHaveLength(1); // the send joined the connect already under way
    connected();
    await settle();
    expect(fake.calls).toHaveLength(1);
    fake.calls[0]!.resolve();
    await request;
    // Connected once: later sends do not connect again.
    const next = producer.send([msg('b')]);
    await settle();
    fake.calls[1]!.resolve();
    await next;
    expect(connects).toHaveLength(1);
  });

  it('answers "written: no" when the producer cannot connect, and connects again on the next send', async () => {
    const fake = new FakeProducer();
    let attempts = 0;
    const kafkaProducer = {
      connect: () => (++attempts === 1 ? Promise.reject(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092')) : Promise.resolve()),
      sendBatch: (b: ProducerBatch) => fake.sendBatch(b),
    };
    const producer = new BatchingProducer([kafkaProducer as unknown as Producer], options, createMetrics(), createLogger('test', 'silent'));
    const failed = producer.send([msg('a')]);
    await expect(failed).rejects.toBeInstanceOf(IngestUnavailableError);
    await expect(failed).rejects.toMatchObject({ written: 'no', message: expect.stringMatching(/Kafka is not reachable: .*ECONNREFUSED/) });
    expect(fake.calls).toHaveLength(0);
    const retried = producer.send([msg('a')]);
    await settle();
    expect(attempts).toBe(2);
    fake.calls[0]!.resolve();
    await retried;
    expect(producer.inflightEvents).toBe(0);
  });
});
