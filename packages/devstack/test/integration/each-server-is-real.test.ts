import fs from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import Redis from 'ioredis';
import { topicNames } from '@floodgate/config';

// The stack the global setup started (or reused): these prove each server is the real
// thing, reached over a real connection, doing what the services rely on.
const env = process.env;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Kafka (KRaft, from Maven Central jars)', () => {
  const topic = `devstack-proof-${process.pid}`;
  const kafka = new Kafka({ clientId: 'devstack-test', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });

  it('has the topics the design needs, with their partition counts', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const names = topicNames(env.KAFKA_TOPIC_PREFIX);
      const meta = await admin.fetchTopicMetadata({ topics: [names.events, names.eventsDlq, names.alerts] });
      const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [names.events]: 12, [names.eventsDlq]: 3, [names.alerts]: 3 });
    } finally {
      await admin.disconnect();
    }
  });

  it('reads back with a consumer group a message produced with acks=all, and commits the offset', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: 'slope-1', value: 'hello', headers: { h: 'v' } }] });
    await producer.disconnect();

    const groupId = `devstack-proof-${process.pid}`;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got = await new Promise<{ key: string; value: string; header: string }>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message, partition }) => {
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          resolve({ key: message.key!.toString(), value: message.value!.toString(), header: message.headers!.h!.toString() });
        },
      });
    });
    await consumer.disconnect();
    expect(got).toEqual({ key: 'slope-1', value: 'hello', header: 'v' });

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]!.partitions.find((p) => p.partition === meta!.partition)!;
    expect(committed.offset).toBe(String(Number(meta!.baseOffset) + 1));
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('accepts SASL_SSL with SCRAM-SHA-512 against its own CA, as Strimzi would, and refuses a wrong password', async () => {
    const secure = (password: string) =>
      new Kafka({
        clientId: 'devstack-sasl-test',
        brokers: [env.FLOODGATE_KAFKA_SASL_SSL_BROKERS!],
        ssl: { ca: [fs.readFileSync(env.FLOODGATE_KAFKA_CA_FILE!, 'utf8')], rejectUnauthorized: true },
        sasl: { mechanism: 'scram-sha-512', username: env.FLOODGATE_KAFKA_SCRAM_USERNAME!, password },
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      });
    const admin = secure(env.FLOODGATE_KAFKA_SCRAM_PASSWORD!).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    expect(cluster.brokers[0]!.port).toBe(Number(env.FLOODGATE_KAFKA_SASL_SSL_BROKERS!.split(':')[1]));
    await admin.disconnect();
    const wrong = secure('wrong-password').admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL|authentication/i);
  });
});

describe('PostgreSQL primary with a streaming read replica', () => {
  it('streams a row written on the primary to the replica', async () => {
    const primary = new pg.Client({ connectionString: env.DATABASE_URL });
    const replica = new pg.Client({ connectionString: env.DATABASE_READ_URL });
    await primary.connect();
    await replica.connect();
    try {
      const table = `devstack_proof_${process.pid}`;
      await primary.query(`create table ${table} (id int primary key, note text)`);
      await primary.query(`insert into ${table} values (1, 'replicated')`);
      let rows: { note: string }[] = [];
      for (let i = 0; i < 100 && rows.length === 0; i++) {
        rows = await replica.query(`select note from ${table} where id = 1`).then(
          (r) => r.rows,
          () => [],
        );
        if (rows.length === 0) await sleep(100);
      }
      expect(rows).toEqual([{ note: 'replicated' }]);
      await expect(replica.query(`insert into ${table} values (2, 'x')`)).rejects.toThrow(/read-only transaction/);
      await primary.query(`drop table ${table}`);
    } finally {
      await primary.end();
      await replica.end();
    }
  });

  it('reports streaming replication on both sides', async () => {
    const superPrimary = new pg.Client({ connectionString: env.FLOODGATE_PG_SUPERUSER_URL });
    const superReplica = new pg.Client({
      connectionString: env.FLOODGATE_PG_SUPERUSER_URL!.replace(new URL(env.DATABASE_URL!).port, new URL(env.DATABASE_READ_URL!).port),
    });
    await superPrimary.connect();
    await superReplica.connect();
    try {
      const receiver = await superReplica.query('select status, slot_name from pg_stat_wal_receiver');
      expect(receiver.rows).toEqual([{ status: 'streaming', slot_name: 'floodgate_replica' }]);
      const senders = await superPrimary.query('select state from pg_stat_replication');
      expect(senders.rows).toEqual([{ state: 'streaming' }]);
      expect((await superReplica.query('select pg_is_in_recovery() as r')).rows[0].r).toBe(true);
    } finally {
      await superPrimary.end();
      await superReplica.end();
    }
  });

  it('compresses the full-page images of its WAL with lz4, as the chart configures its clusters', async () => {
    const primary = new pg.Client({ connectionString: env.DATABASE_URL });
    await primary.connect();
    try {
      expect((await primary.query('show wal_compression')).rows).toEqual([{ wal_compression: 'lz4' }]);
    } finally {
      await primary.end();
    }
  });
});

describe('Redis', () => {
  it('round-trips a value', async () => {
    const redis = new Redis(env.REDIS_URL!);
    try {
      const key = `devstack-proof-${process.pid}`;
      await redis.set(key, 'v', 'PX', 5000);
      expect(await redis.get(key)).toBe('v');
      const info = await redis.config('GET', 'save');
      expect(info).toEqual(['save', '']); // a cache: no persistence
    } finally {
      redis.disconnect();
    }
  });
});
