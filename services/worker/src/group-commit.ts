/**
 * Group commit: the partition batches kafkajs hands over at about the same time (one fetch brings a batch for
 * each of up to 12 partitions) are written in one database transaction instead of one each. A transaction has a
 * fixed cost (round trips, a WAL flush at COMMIT) that twelve small batches would pay twelve times, one wave of
 * `WORKER_PARTITIONS_CONCURRENTLY` after another, while the last partition's events wait.
 *
 * Batches that arrive in the same turn of the event loop are gathered, up to `maxEvents` per transaction, with at
 * most `maxInFlight` transactions at once; what arrives meanwhile forms the next group. Each caller gets its own
 * batch's result. When a group of several batches fails with a permanent error (`isPermanent`), each batch is
 * written again on its own, so a batch is only ever failed by its own events: a poison event in one partition's
 * batch never reaches another's. A transient fault (the database down or hung) fails every batch of the group at
 * once, without a retry per batch that would pay the same timeout again; the callers back off and retry. Tracing: the transaction joins the first batch's trace and the
 * other batches' spans link to it (shared-work-context.ts).
 */
// The helper only, not the package index: the SDK is loaded by the register preload when tracing is on.
import { activeContext, withSharedWork } from '@floodgate/telemetry/src/shared-work-context';
import type { IncomingEvent, WriteResult } from './reading-writer';

export interface GroupWriter {
  writeGroup(parts: IncomingEvent[][]): Promise<WriteResult[]>;
}

export interface GroupCommitOptions {
  /** Events per transaction; a single batch larger than this is still written whole. */
  maxEvents: number;
  /** Transactions at once (each holds a database connection). */
  maxInFlight: number;
  /** Called with the number of batches in each transaction (a metric). */
  onGroup?: (batches: number) => void;
  /** Whether an error is caused by the events themselves, so that a failed group is split to find their batch. */
  isPermanent: (err: unknown) => boolean;
}

interface Waiting {
  events: IncomingEvent[];
  /** The batch's trace context: the transaction joins the first batch's trace and the others link to it. */
  ctx: ReturnType<typeof activeContext>;
  resolve: (result: WriteResult) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly writer: GroupWriter,
    private readonly opts: GroupCommitOptions,
  ) {}

  /** Resolves once `events` are committed (in a transaction that may hold other batches too). */
  write(events: IncomingEvent[]): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.waiting.push({ events, ctx: activeContext(), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // The other batches of the same fetch are handed over in this turn of the event loop: let them join.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.waiting.length > 0) {
      const group: Waiting[] = [this.waiting.shift()!];
      let events = group[0]!.events.length;
      while (this.waiting.length > 0 && events + this.waiting[0]!.events.length <= this.opts.maxEvents) {
        const next = this.waiting.shift()!;
        events += next.events.length;
        group.push(next);
      }
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async commit(group: Waiting[]): Promise<void> {
    this.opts.onGroup?.(group.length);
    try {
      const results = await withSharedWork(
        group.map((w) => w.ctx),
        () => this.writer.writeGroup(group.map((w) => w.events)),
      );
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (group.length === 1 || !this.opts.isPermanent(err)) {
        for (const w of group) w.reject(err);
        return;
      }
      // Each batch again on its own: only the batch that holds the cause fails.
      for (const w of group) {
        this.opts.onGroup?.(1);
        await withSharedWork([w.ctx], () => this.writer.writeGroup([w.events])).then(
          (results) => w.resolve(results[0]!),
          (e: unknown) => w.reject(e),
        );
      }
    }
  }
}
