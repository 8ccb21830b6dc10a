/**
 * The consumption loop: kafkajs eachBatch with manual offset resolution. Per partition batch: decode (poison goes
 * to the DLQ), a transaction for the valid events (shared with the other partitions' batches of the same fetch, see
 * group-commit.ts), then the DLQ, then the cache, and only then resolve and commit the offsets. Transient faults pause the partition and retry the whole batch with backoff (every step is
 * idempotent), heartbeating so the group keeps the member; nothing is dead-lettered while a fault lasts.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '@floodgate/config';
import { decodeEventMessage, headerNames } from '@floodgate/events';
// The helper only, not the package index: the SDK is loaded by the register preload when tracing is on.
import { withBatchContext } from '@floodgate/telemetry/src/kafka-trace-context';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff';
import type { CacheUpdater } from './cache-updater';
import type { DeadLetter, DeadLetterQueue } from './dead-letter';
import { classifyError } from './error-classifier';
import type { AlertPublisher } from './alert-publisher';
import type { WorkerMetrics } from './metrics';
import type { OffsetCommits } from './offset-commits';
import type { IncomingEvent, ReadingWriter, WriteResult } from './reading-writer';

export interface BatchHandlerDeps {
  /** Writes a batch, possibly in one transaction with other partitions' batches (GroupCommit). */
  batches: { write(events: IncomingEvent[]): Promise<WriteResult> };
  /** Writes alone: one event at a time, to find the one the database refuses. */
  writer: Pick<ReadingWriter, 'write'>;
  cache: CacheUpdater;
  dlq: DeadLetterQueue;
  publisher: AlertPublisher;
  metrics: WorkerMetrics;
  log: Logger;
  backoff: BackoffPolicy;
  /** Commits a batch's offset once its rows are durable, with other batches' offsets in one request (see offset-commits.ts). */
  offsets: OffsetCommits;
  /** True once the worker is stopping: the batch's offset is then committed before the batch returns. */
  stopping: () => boolean;
  /** Aborted on shutdown: cuts a backoff sleep short. */
  signal: AbortSignal;
}

interface Decoded extends IncomingEvent {
  message: KafkaMessage;
}

/** Longest single sleep between heartbeats while backing off (well under the 30 s session timeout). */
const HEARTBEAT_SLICE_MS = 2000;

function ingestTime(message: KafkaMessage): number | undefined {
  const raw = message.headers?.[headerNames.ingestTime];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const ms = Buffer.isBuffer(value) ? decimalOf(value) : Number(value?.toString());
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * `Number(bytes.toString())`, read straight from the bytes when they are 1 to 15 ASCII digits (the API writes the
 * ingest time so; exact in a double), without a string per message; anything else goes through Number.
 */
export function decimalOf(bytes: Buffer): number {
  if (bytes.length === 0 || bytes.length > 15) return Number(bytes.toString());
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte < 0x30 || byte > 0x39) return Number(bytes.toString());
    n = n * 10 + (byte - 0x30);
  }
  return n;
}

const roundAll = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));

export class BatchHandler {
  constructor(private readonly deps: BatchHandlerDeps) {}

  readonly eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause } = payload;
    const { metrics, log } = this.deps;
    if (batch.messages.length === 0) return;
    const started = Date.now();
    const startedPerf = performance.now();
    metrics.batchSize.observe(batch.messages.length);

    const valid: Decoded[] = [];
    const letters: DeadLetter[] = [];
    for (const message of batch.messages) {
      try {
        const event = decodeEventMessage(message.value, message.headers);
        event.eventId = event.eventId.toLowerCase(); // uuid order in PostgreSQL = lower-case hex order in the cache
        valid.push({ event, ingestTimeMs: ingestTime(message), message });
      } catch (err) {
        const c = classifyError(err);
        letters.push({ message, sourceTopic: batch.topic, sourcePartition: batch.partition, error: (err as Error).message, errorClass: c.reason, attempts: 1 });
      }
    }

    const decodedAt = performance.now();
    let oldestIngest: number | undefined;
    for (const v of valid) if (v.ingestTimeMs !== undefined && !(v.ingestTimeMs >= (oldestIngest ?? Infinity))) oldestIngest = v.ingestTimeMs;
    const deadLettered = new Set<string>();
    let phases: { writeMs: number; cacheMs: number } | undefined;
    let attempt = 0;
    let resume: (() => void) | undefined;
    try {
      for (;;) {
        // Shutting down or the partition was re-seeked: leave the batch unresolved; it is redelivered from the
        // last committed offset, and whatever this attempt committed to the database is deduplicated then.
        if (!isRunning() || isStale()) return;
        try {
          // One transaction serves many traces; it joins the first traced message's trace (a batch of one request is
          // the exact device -> API -> Kafka -> database trace), and every other trace gets a consumer span linked to it.
          phases = await withBatchContext(batch.messages, () => this.process(batch.topic, batch.partition, valid, letters, deadLettered), {
            topic: batch.topic,
            partition: batch.partition,
            offset: batch.firstOffset() ?? undefined,
          });
          break;
        } catch (err) {
          attempt += 1;
          const c = classifyError(err);
          metrics.retries.inc({ reason: c.reason });
          const delay = backoffDelay(attempt, this.deps.backoff);
          log.warn(
            {
              topic: batch.topic,
              partition: batch.partition,
              firstOffset: batch.firstOffset(),
              attempt,
              reason: c.reason,
              delayMs: delay,
              err: (err as Error).message,
            },
            'batch failed with a transient fault; partition paused, retrying',
          );
          // Stop fetching this partition while it cannot make progress (others keep going).
          resume ??= pause();
          for (let left = delay; left > 0 && isRunning(); left -= HEARTBEAT_SLICE_MS) {
            await sleep(Math.min(left, HEARTBEAT_SLICE_MS), this.deps.signal);
            await heartbeat(); // throws on a rebalance: kafkajs rejoins and restarts from committed offsets
          }
        }
      }
    } finally {
      resume?.();
    }

    resolveOffset(batch.lastOffset());
    // Stopping: commit now, before kafkajs leaves the group; otherwise within WORKER_COMMIT_INTERVAL_MS.
    await this.deps.offsets.commitBatch(commitOffsetsIfNecessary, batch.topic, batch.partition, batch.lastOffset(), this.deps.stopping() || !isRunning());
    metrics.batchDuration.observe((Date.now() - started) / 1000);
    // Where a batch's time goes, for tuning (LOG_LEVEL=debug); no ids or values.
    log.debug(
      {
        partition: batch.partition,
        size: batch.messages.length,
        // From the API's ingest time of the batch's oldest event to this batch's start: the API, Kafka and the wait
        // for a fetch (clocks of two processes: meaningful on one host, approximate across hosts).
        waitMs: oldestIngest === undefined ? undefined : started - oldestIngest,
        decodeMs: Math.round(decodedAt - startedPerf),
        ...roundAll(phases),
        totalMs: Math.round(performance.now() - startedPerf),
      },
      'batch done',
    );
    if (attempt > 0) log.info({ topic: batch.topic, partition: batch.partition, attempts: attempt + 1 }, 'batch succeeded after retries');
  };

  /** One attempt at a batch. Throws on a transient fault; every step is safe to repeat. */
  private async process(
    topic: string,
    partition: number,
    valid: Decoded[],
    poison: DeadLetter[],
    deadLettered: Set<string>,
  ): Promise<{ writeMs: number; cacheMs: number }> {
    const { batches, writer, cache, dlq, publisher, metrics } = this.deps;
    const writeStart = performance.now();
    const letters = [...poison];
    const results: WriteResult[] = [];
    if (valid.length > 0) {
      try {
        results.push(await batches.write(valid));
      } catch (err) {
        if (classifyError(err).class !== 'permanent') throw err;
        // Some event is unacceptable to the database (e.g. a \u0000 in jsonb): write one by one to find it, so
        // only that event is dead-lettered and the rest of the batch is stored.
        for (const one of valid) {
          try {
            results.push(await writer.write([one]));
          } catch (e) {
            const c = classifyError(e);
            if (c.class !== 'permanent') throw e;
            letters.push({
              message: one.message,
              sourceTopic: topic,
              sourcePartition: partition,
              error: (e as Error).message,
              errorClass: c.reason,
              attempts: 1,
            });
          }
        }
      }
    }
    for (const r of results) {
      metrics.eventsProcessed.inc({ outcome: 'stored' }, r.stored);
      metrics.eventsProcessed.inc({ outcome: 'duplicate' }, r.duplicates);
      for (const a of r.alerts) metrics.alertTransitions.inc({ kind: a.kind, severity: a.severity });
    }
    for (const v of valid)
      if (v.ingestTimeMs !== undefined && results[0]) metrics.endToEndLatency.observe(Math.max(0, results[0].committedAt - v.ingestTimeMs) / 1000);

    // A retry of this batch (say the cache was down) must not dead-letter the same message twice.
    const unsent = letters.filter((l) => !deadLettered.has(l.message.offset));
    if (unsent.length > 0) {
      await dlq.send(unsent);
      for (const l of unsent) deadLettered.add(l.message.offset);
      metrics.dlqMessages.inc({ topic: dlq.topic }, unsent.length);
      metrics.eventsProcessed.inc({ outcome: 'dead_lettered' }, unsent.length);
      this.deps.log.warn(
        { topic, partition, count: unsent.length, offsets: unsent.map((l) => l.message.offset), reasons: [...new Set(unsent.map((l) => l.errorClass))] },
        'dead-lettered messages',
      );
    }
    const cacheStart = performance.now();
    await cache.write(results.flatMap((r) => r.cacheEntries));
    if (results.some((r) => r.alerts.length > 0)) void publisher.drain();
    return { writeMs: cacheStart - writeStart, cacheMs: performance.now() - cacheStart };
  }
}
