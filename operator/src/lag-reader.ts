/**
 * Measures a consumer group's lag per partition through the Kafka Admin API (committed group
 * offsets against end offsets) and the consume/produce rates from successive samples. It only
 * measures: no decision is made here.
 *
 * Reading offsets directly, rather than through an exporter, keeps groups with no members in
 * view, which is exactly the scale-from-zero case (exporters drop groups without members).
 */
import crypto from 'node:crypto';
import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import type { KafkaConnection } from '@floodgate/config';
import type { LagMeasurement, PartitionLag } from './decide-replicas';

export type OffsetResetPolicy = 'earliest' | 'latest';

export class KafkaLagError extends Error {
  constructor(
    /** KafkaUnavailable (cannot connect or time out) or KafkaTopicNotFound. */
    readonly reason: 'KafkaUnavailable' | 'KafkaTopicNotFound',
    readonly group: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`consumer group ${group}: ${message}`, options);
    this.name = 'KafkaLagError';
  }
}

interface Sample {
  at: number;
  /** Sum over partitions of the group's position (committed offset, or what the reset policy implies). */
  position: number;
  /** Sum over partitions of the end offset. */
  end: number;
}

/**
 * A partition where the group has no committed offset: `earliest` counts every retained message
 * (end minus log-start offset; the consumer will start there), `latest` counts nothing.
 */
export function partitionLag(committed: bigint | undefined, low: bigint, high: bigint, policy: OffsetResetPolicy): { lag: number; position: bigint } {
  if (committed !== undefined && committed >= 0n) {
    // A committed offset below log start (retention deleted it) is read from log start.
    const position = committed < low ? low : committed > high ? high : committed;
    return { lag: Number(high - position), position };
  }
  const position = policy === 'earliest' ? low : high;
  return { lag: Number(high - position), position };
}

export class LagReader {
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;
  private previous: Sample | undefined;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly onKafkaError: (reason: string) => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Identifies the connection, so a changed Secret or broker list gets a new reader. */
  static fingerprint(connection: KafkaConnection): string {
    return crypto.createHash('sha256').update(JSON.stringify(connection)).digest('hex');
  }

  async read(group: string, topics: string[], policy: OffsetResetPolicy): Promise<LagMeasurement> {
    const admin = await this.connect(group);
    try {
      const known = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !known.has(t));
      if (missing.length > 0) throw new KafkaLagError('KafkaTopicNotFound', group, `topic ${missing.join(', ')} does not exist`);
      const [ends, committed] = await Promise.all([Promise.all(topics.map((t) => admin.fetchTopicOffsets(t))), admin.fetchOffsets({ groupId: group, topics })]);
      const committedBy = new Map<string, bigint>();
      for (const t of committed) for (const p of t.partitions) committedBy.set(`${t.topic}/${p.partition}`, BigInt(p.offset));
      const partitions: PartitionLag[] = [];
      let position = 0;
      let end = 0;
      topics.forEach((topic, i) => {
        for (const p of ends[i]!) {
          const c = committedBy.get(`${topic}/${p.partition}`);
          const hasCommit = c !== undefined && c >= 0n;
          const r = partitionLag(c, BigInt(p.low), BigInt(p.high), policy);
          partitions.push({ topic, partition: p.partition, lag: r.lag, committed: hasCommit });
          position += Number(r.position);
          end += Number(p.high);
        }
      });
      partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      const now = this.clock();
      const sample: Sample = { at: now, position, end };
      const m: LagMeasurement = { partitions, totalLag: partitions.reduce((s, p) => s + p.lag, 0) };
      const prev = this.previous;
      if (prev && now > prev.at) {
        const dt = (now - prev.at) / 1000;
        m.consumeRate = Math.max(0, (position - prev.position) / dt);
        m.produceRate = Math.max(0, (end - prev.end) / dt);
      }
      this.previous = sample;
      return m;
    } catch (err) {
      if (err instanceof KafkaLagError) {
        this.onKafkaError(err.reason);
        throw err;
      }
      this.onKafkaError('KafkaUnavailable');
      await this.close();
      throw new KafkaLagError('KafkaUnavailable', group, `reading offsets failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private async connect(group: string): Promise<Admin> {
    if (this.admin) return this.admin;
    this.connecting ??= (async () => {
      const kafka = new Kafka({
        ...this.connection,
        logLevel: logLevel.NOTHING,
        // Fail within a polling interval or two; the next poll retries, so kafkajs need not.
        retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
        // KafkaConnection's sasl is kafkajs's SASLOptions union spelled as one object type.
      } as KafkaConfig);
      const admin = kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        await admin.disconnect().catch(() => undefined);
        throw err;
      }
      this.admin = admin;
      return admin;
    })().finally(() => (this.connecting = undefined));
    try {
      return await this.connecting;
    } catch (err) {
      this.onKafkaError('KafkaUnavailable');
      throw new KafkaLagError('KafkaUnavailable', group, `cannot connect to ${this.connection.brokers.join(',')}: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.previous = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
