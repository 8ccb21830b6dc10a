/**
 * The worker pool the autoscaling scenario scales. The local kube-apiserver has no kubelet, so a
 * Deployment's replicas never become pods; this pool stands in for them: each replica is a real
 * kafkajs consumer in the group (the worker's session timeout and heartbeat), consuming at a fixed
 * rate and committing what it consumed, so the group's lag really falls when replicas are added.
 * The scenario resizes the pool to the Deployment's spec.replicas. What it does not emulate: pod
 * scheduling and start-up time, and the worker's database work (the fixed rate stands for it).
 */
import type { Consumer, Kafka } from 'kafkajs';
import { Pacer } from './rates';

export interface EmulatedWorkerOptions {
  kafka: Kafka;
  group: string;
  topic: string;
  /** Messages per second one replica consumes when it has a backlog. */
  perReplicaRate: number;
  /** The worker's defaults: 30 s session, heartbeat every 3 s. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  onError?: (err: Error) => void;
}

interface Replica {
  consumer: Consumer;
  joined: boolean;
  started: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EmulatedWorkerPool {
  private readonly replicas: Replica[] = [];
  private target = 0;
  private resizing: Promise<void> = Promise.resolve();
  /** Messages consumed (and resolved for commit) by all replicas so far. */
  consumed = 0;

  constructor(private readonly opts: EmulatedWorkerOptions) {}

  /** Replicas asked for. */
  get size(): number {
    return this.target;
  }

  /** Replicas that have joined the group and hold an assignment (possibly empty). */
  get joined(): number {
    return this.replicas.filter((r) => r.joined).length;
  }

  /** Resizes to `n` (newest replicas stop first); resizes are applied one after another. */
  scaleTo(n: number): Promise<void> {
    this.target = n;
    this.resizing = this.resizing.then(() => this.apply()).catch((err: Error) => this.opts.onError?.(err));
    return this.resizing;
  }

  async stop(): Promise<void> {
    await this.scaleTo(0);
  }

  private async apply(): Promise<void> {
    while (this.replicas.length < this.target) this.replicas.push(this.startReplica());
    const surplus = this.replicas.splice(this.target).reverse();
    await Promise.all(
      surplus.map(async (r) => {
        await r.started.catch(() => undefined);
        await r.consumer.disconnect();
      }),
    );
  }

  private startReplica(): Replica {
    const session = this.opts.sessionTimeoutMs ?? 30_000;
    const consumer = this.opts.kafka.consumer({
      groupId: this.opts.group,
      allowAutoTopicCreation: false,
      sessionTimeout: session,
      heartbeatInterval: this.opts.heartbeatIntervalMs ?? Math.min(3000, Math.floor(session / 3)),
    });
    const replica: Replica = { consumer, joined: false, started: Promise.resolve() };
    consumer.on(consumer.events.GROUP_JOIN, () => (replica.joined = true));
    consumer.on(consumer.events.CRASH, (e) => {
      replica.joined = false;
      this.opts.onError?.(new Error(`emulated worker crashed: ${String(e.payload.error)}`));
    });
    const pacer = new Pacer(this.opts.perReplicaRate);
    // Work in slices of about 100 ms, heartbeating and committing between them, as the worker does per transaction.
    const slice = Math.max(1, Math.round(this.opts.perReplicaRate / 10));
    replica.started = (async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
      await consumer.run({
        eachBatchAutoResolve: false,
        autoCommitInterval: 500,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
          for (let i = 0; i < batch.messages.length; i += slice) {
            if (!isRunning() || isStale()) return;
            const chunk = batch.messages.slice(i, i + slice);
            await sleep(pacer.take(chunk.length, Date.now()));
            resolveOffset(chunk[chunk.length - 1]!.offset);
            this.consumed += chunk.length;
            await heartbeat();
            await commitOffsetsIfNecessary();
          }
        },
      });
    })();
    replica.started.catch((err: Error) => this.opts.onError?.(new Error(`emulated worker did not start: ${err.message}`)));
    return replica;
  }
}
