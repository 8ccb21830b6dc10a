/**
 * One OffsetCommit request for the partition batches that finish together. kafkajs's auto-commit sends a request
 * after every batch, and the broker answers a connection's requests one at a time: twelve batches of one fetch
 * cost twelve round trips in a row before the next fetch. Here the offsets of the batches that finish in the same
 * turn of the event loop are committed in one request, and each batch waits for the request that holds its
 * offset (the worker runs kafkajs with autoCommit off; every offset is committed only after its rows are durable).
 */
import type { EachBatchPayload } from 'kafkajs';

type Commit = EachBatchPayload['commitOffsetsIfNecessary'];

interface Waiting {
  topic: string;
  partition: number;
  /** The next offset to read: the batch's last offset + 1. */
  offset: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class OffsetCommits {
  private waiting: Waiting[] = [];
  private commit: Commit | undefined;

  /** Commits `lastOffset` of the batch as consumed, together with the other batches finishing now. */
  commitBatch(commit: Commit, topic: string, partition: number, lastOffset: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const offset = (BigInt(lastOffset) + 1n).toString();
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ topic, partition, offset, resolve, reject });
      // Every batch's commit function is the same consumer group's; any one of them sends the request.
      this.commit = commit;
    });
  }

  private async flush(): Promise<void> {
    const group = this.waiting;
    const commit = this.commit!;
    this.waiting = [];
    const byTopic = new Map<string, Map<number, string>>();
    for (const w of group) {
      const partitions = byTopic.get(w.topic) ?? new Map<number, string>();
      const seen = partitions.get(w.partition);
      if (seen === undefined || BigInt(w.offset) > BigInt(seen)) partitions.set(w.partition, w.offset);
      byTopic.set(w.topic, partitions);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })) }));
    try {
      await commit({ topics });
      for (const w of group) w.resolve();
    } catch (err) {
      for (const w of group) w.reject(err);
    }
  }
}
