/**
 * Commits the offsets of batches whose rows are durable, in as few OffsetCommit requests as the interval allows.
 * kafkajs's auto-commit sends a request after every batch; each costs the broker about 2 ms of CPU
 * (bench/tools/kafka-offset-commit-cost.ts), and a worker at a steady load finishes tens of batch groups a second.
 *
 * With an interval (`WORKER_COMMIT_INTERVAL_MS`, default 500), a batch records its offset and returns: the offsets
 * recorded meanwhile go in one request when the interval has passed since the last one, and the commit is off the
 * path of the next fetch. What a crash or a rebalance leaves uncommitted (at most an interval's batches, all already
 * durable) is redelivered and deduplicated by the database, as after any crash between a database commit and an
 * offset commit. To keep that window short when it matters, the offsets are flushed at once when the consumer is
 * stopping (`urgent`, and `flush()` before it leaves the group) and when a rebalance starts (`flush()`).
 *
 * With interval 0, the batches finishing in the same turn of the event loop share one request, and each batch waits
 * for the request that holds its offset. The worker runs kafkajs with autoCommit off; every offset is committed only
 * after its rows are durable.
 */
import type { EachBatchPayload } from 'kafkajs';

type Commit = EachBatchPayload['commitOffsetsIfNecessary'];

export interface OffsetCommitsOptions {
  /** At most one request per this many ms; 0: one per turn of the event loop, awaited by the batches it holds. */
  intervalMs: number;
  /** A deferred request failed (its offsets are tried again with the next one). */
  onError?: (err: unknown) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class OffsetCommits {
  /** topic -> partition -> the next offset to read (last durable offset + 1), not yet sent. */
  private pending = new Map<string, Map<number, bigint>>();
  /** What the broker acknowledged, so a failed request never puts back an offset older than a later success. */
  private readonly committed = new Map<string, Map<number, bigint>>();
  private waiters: Waiter[] = [];
  private commit: Commit | undefined;
  private timer: NodeJS.Timeout | undefined;
  private immediate = false;
  private lastRequest = 0;

  constructor(private readonly opts: OffsetCommitsOptions = { intervalMs: 0 }) {}

  /**
   * Records the batch's `lastOffset` as durable. Resolves at once when the interval defers the request; resolves
   * after the request that holds it (and rejects if that request fails) when `urgent` or without an interval.
   */
  commitBatch(commit: Commit, topic: string, partition: number, lastOffset: string, urgent = false): Promise<void> {
    // Every batch's commit function is the same consumer group's; any one of them sends the request.
    this.commit = commit;
    this.record(topic, partition, BigInt(lastOffset) + 1n);
    if (urgent || this.opts.intervalMs <= 0) {
      return new Promise<void>((resolve, reject) => {
        this.waiters.push({ resolve, reject });
        this.scheduleImmediate();
      });
    }
    this.scheduleTimer();
    return Promise.resolve();
  }

  /** Sends what is recorded now (before leaving the group, when a rebalance starts); never throws. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.send().catch((err: unknown) => this.opts.onError?.(err));
  }

  /** Forgets the offsets of partitions this member no longer holds (after a rebalance: they are someone else's). */
  retain(assigned: Record<string, number[]>): void {
    for (const byPartition of [this.pending, this.committed])
      for (const [topic, partitions] of byPartition) {
        const keep = new Set(assigned[topic] ?? []);
        for (const partition of partitions.keys()) if (!keep.has(partition)) partitions.delete(partition);
        if (partitions.size === 0) byPartition.delete(topic);
      }
  }

  private record(topic: string, partition: number, offset: bigint): void {
    const partitions = this.pending.get(topic) ?? new Map<number, bigint>();
    const seen = partitions.get(partition);
    if (seen === undefined || offset > seen) partitions.set(partition, offset);
    this.pending.set(topic, partitions);
  }

  private scheduleImmediate(): void {
    if (this.immediate) return;
    this.immediate = true;
    // The other batches finishing in this turn of the event loop join the request.
    setImmediate(() => {
      this.immediate = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.send().catch(() => undefined); // the waiters get the error
    });
  }

  private scheduleTimer(): void {
    if (this.timer || this.immediate) return;
    const wait = Math.max(0, this.lastRequest + this.opts.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.send().catch((err: unknown) => this.opts.onError?.(err));
    }, wait);
    this.timer.unref?.();
  }

  private async send(): Promise<void> {
    const offsets = this.pending;
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    if (offsets.size === 0 || !this.commit) {
      for (const w of waiters) w.resolve();
      return;
    }
    this.lastRequest = Date.now();
    const topics = [...offsets].map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
    }));
    try {
      await this.commit({ topics });
    } catch (err) {
      // Tried again with the next request, unless something newer is recorded or was acknowledged since.
      for (const [topic, partitions] of offsets)
        for (const [partition, offset] of partitions) {
          const done = this.committed.get(topic)?.get(partition);
          if (done === undefined || offset > done) this.record(topic, partition, offset);
        }
      if (this.pending.size > 0 && this.opts.intervalMs > 0) this.scheduleTimer();
      for (const w of waiters) w.reject(err);
      throw err;
    }
    for (const [topic, partitions] of offsets) {
      const done = this.committed.get(topic) ?? new Map<number, bigint>();
      for (const [partition, offset] of partitions) if (!(offset <= (done.get(partition) ?? -1n))) done.set(partition, offset);
      this.committed.set(topic, done);
    }
    for (const w of waiters) w.resolve();
  }
}
