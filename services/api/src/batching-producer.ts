/**
 * Coalesces the messages of concurrent requests into one kafkajs sendBatch per short
 * window (KafkaJS has no linger.ms, tulios/kafkajs#1157), so throughput does not hinge
 * on one broker round trip per request. A request's promise settles only when Kafka has
 * acknowledged (acks=all) its messages. Memory is bounded: past the in-flight budget,
 * or while a request would wait longer than the ack timeout, callers get an
 * IngestUnavailableError and answer 503.
 *
 * Tracing: one sendBatch carries many requests, but each message is pinned to the context of the request that
 * produced it (sendInContext), so each request's trace shows its own produce spans and continues into the worker.
 */
import { context, type Context } from '@opentelemetry/api';
import type { Producer } from 'kafkajs';
import type { EventMessage } from '@floodgate/events';
import type { Logger } from '@floodgate/config';
// The helper only, not the package index: the SDK is loaded by the register preload when tracing is on.
import { sendInContext } from '@floodgate/telemetry/src/kafka-trace-context';
import type { ApiMetrics } from './metrics';

export interface BatchingProducerOptions {
  topic: string;
  lingerMs: number;
  maxBatchMessages: number;
  maxInflightEvents: number;
  ackTimeoutMs: number;
}

/**
 * `written: 'no'` means the events were never handed to Kafka; `'unknown'` means they
 * may still land (a timeout or an error after sending): the client retries with the
 * same eventIds and the worker dedupes (DESIGN.md, "Three outcomes").
 */
export class IngestUnavailableError extends Error {
  constructor(
    message: string,
    readonly written: 'no' | 'unknown',
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'IngestUnavailableError';
  }
}

interface Pending {
  messages: EventMessage[];
  /** The request's tracing context: each of its messages is produced in it (sendInContext). */
  ctx: Context;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class BatchingProducer {
  private queue: Pending[] = [];
  private queuedMessages = 0;
  private inflight = 0;
  /** Producers with no send in flight. kafkajs allows one request in flight per idempotent producer, so
   * several producers (each its own connection and producer id) let batches overlap on the wire. Per-device
   * order is kept: a request's events go in one send, and a device's next request follows its 202. */
  private readonly available: Producer[];
  /** Producers whose connect() resolved. kafkajs obtains the idempotent producer id only in connect(); a sendBatch
   * before that goes out without idempotence and races the id's arrival (it then releases a broker lock it never
   * took: "Cannot read properties of undefined (reading 'release')"). So every send waits for its producer's connect. */
  private readonly connected = new WeakSet<Producer>();
  private readonly connecting = new Map<Producer, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly drainWaiters = new Set<() => void>();
  /** Time of the last acknowledged send and of the last failure, for /healthz. */
  lastAckAt = 0;
  lastErrorAt = 0;

  constructor(
    producers: Producer[],
    private readonly opts: BatchingProducerOptions,
    private readonly metrics: ApiMetrics,
    private readonly logger: Logger,
  ) {
    if (producers.length === 0) throw new Error('BatchingProducer needs at least one producer');
    this.available = [...producers];
  }

  /** Starts connecting every producer (start-up, Kafka may be down); one that fails is connected again by its next send. */
  connectInBackground(onError: (err: Error) => void): void {
    for (const producer of this.available) this.ensureConnected(producer).catch(onError);
  }

  private ensureConnected(producer: Producer): Promise<void> {
    if (this.connected.has(producer)) return Promise.resolve();
    let pending = this.connecting.get(producer);
    if (!pending) {
      pending = producer
        .connect()
        .then(() => void this.connected.add(producer))
        .finally(() => this.connecting.delete(producer));
      this.connecting.set(producer, pending);
    }
    return pending;
  }

  get inflightEvents(): number {
    return this.inflight;
  }

  /** Resolves once Kafka acknowledged every message; rejects with IngestUnavailableError otherwise. */
  send(messages: EventMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new IngestUnavailableError('the server is shutting down', 'no'));
    if (this.inflight + messages.length > this.opts.maxInflightEvents) {
      return Promise.reject(new IngestUnavailableError(`ingest is at its in-flight budget of ${this.opts.maxInflightEvents} events`, 'no'));
    }
    this.inflight += messages.length;
    this.metrics.producerInflight.set(this.inflight);
    return new Promise<void>((resolve, reject) => {
      // The caller stops waiting after the ack timeout; the messages stay counted until Kafka settles them.
      let settled = false;
      const timeout = setTimeout(() => {
        settled = true;
        reject(new IngestUnavailableError(`Kafka did not acknowledge within ${this.opts.ackTimeoutMs} ms`, 'unknown'));
      }, this.opts.ackTimeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timeout);
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      this.queue.push({ messages, ctx: context.active(), resolve: () => done(), reject: done });
      this.queuedMessages += messages.length;
      this.schedule();
    });
  }

  /** Stops taking new messages and waits until everything queued or sending is settled. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queue.length) this.flush();
    if (this.inflight === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.add(resolve));
  }

  private schedule(): void {
    if (this.available.length === 0) return; // a running send's completion flushes the queue
    if (this.queuedMessages >= this.opts.maxBatchMessages || this.opts.lingerMs === 0) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.opts.lingerMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length && this.available.length) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.queue.length && (size === 0 || size + this.queue[0]!.messages.length <= this.opts.maxBatchMessages)) {
        const next = this.queue.shift()!;
        batch.push(next);
        size += next.messages.length;
      }
      this.queuedMessages -= size;
      // Each message's produce span is a child of its own request and its traceparent header names that span.
      // The span attributes say which send carried it: how many requests and messages were coalesced.
      const attributes = { 'messaging.batch.message_count': size, 'floodgate.ingest.coalesced_requests': batch.length };
      for (const p of batch) sendInContext(p.messages, p.ctx, attributes);
      // Whatever else runs inside sendBatch (and any instrumentation that ignores the pinned contexts) sees the
      // first request's context rather than whichever request armed the timer or finished the last send.
      const producer = this.available.pop()!;
      void context.with(batch[0]!.ctx, () => this.sendBatch(producer, batch, size));
    }
  }

  private async sendBatch(producer: Producer, batch: Pending[], size: number): Promise<void> {
    this.metrics.ingestBatches.inc();
    this.metrics.ingestBatchRequests.observe(batch.length);
    const stop = this.metrics.producerSendDuration.startTimer();
    const messages = batch.flatMap((p) => p.messages);
    try {
      try {
        await this.ensureConnected(producer);
      } catch (err) {
        // Nothing was handed to Kafka: the client may retry at once, and nothing can land later.
        throw new IngestUnavailableError(`Kafka is not reachable: ${(err as Error).message}`, 'no', err);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic: this.opts.topic, messages }] });
      stop();
      this.lastAckAt = Date.now();
      for (const p of batch) p.resolve();
    } catch (err) {
      this.lastErrorAt = Date.now();
      this.logger.warn({ err: (err as Error).message, events: size }, 'Kafka send failed');
      const failure =
        err instanceof IngestUnavailableError ? err : new IngestUnavailableError(`Kafka did not accept the events: ${(err as Error).message}`, 'unknown', err);
      for (const p of batch) p.reject(failure);
    } finally {
      this.available.push(producer);
      this.inflight -= size;
      this.metrics.producerInflight.set(this.inflight);
      if (this.queue.length) this.flush(); // they already waited for this send: no extra linger
      if (this.inflight === 0) {
        for (const resolve of this.drainWaiters) resolve();
        this.drainWaiters.clear();
      }
    }
  }
}
