/**
 * Wires the `consume` subcommand: creates the clients once (Kafka, PostgreSQL primary, Redis), the pieces that use
 * them, the consumer group and the ops port, and stops them in order on shutdown.
 */
import fs from 'node:fs';
import { Kafka, logLevel, Partitioners, type KafkaConfig } from 'kafkajs';
import Redis from 'ioredis';
import { createLogger, kafkaConnection, kafkaLogCreator, topicNames, type Logger } from '@floodgate/config';
import { createPools } from '@floodgate/db';
import { DeviceCache } from '@floodgate/cache';
import { AlertPublisher } from './alert-publisher';
import { AlertRuleSource } from './alert-store';
import { BatchHandler } from './batch-consumer';
import { classifyError } from './error-classifier';
import { GroupCommit } from './group-commit';
import { OffsetCommits } from './offset-commits';
import { CacheUpdater } from './cache-updater';
import type { WorkerConfig } from './config';
import { DeadLetterQueue } from './dead-letter';
import { startOpsServer } from './http-server';
import { createWorkerMetrics } from './metrics';
import { registerOpenAlertsGauge } from './open-alerts-gauge';
import { ReadingWriter } from './reading-writer';

export interface RunningWorker {
  port: number;
  stop(): Promise<void>;
}

export async function startWorker(cfg: WorkerConfig, log: Logger = createLogger('worker', cfg.LOG_LEVEL)): Promise<RunningWorker> {
  const topics = topicNames(cfg.KAFKA_TOPIC_PREFIX);
  const metrics = createWorkerMetrics();
  const kafka = new Kafka({ ...(kafkaConnection(cfg) as KafkaConfig), logLevel: logLevel.WARN, logCreator: kafkaLogCreator(log) });
  // One connection per transaction in flight and per partition that writes alone (finding a refused event), plus the
  // outbox drain and the rule refresh.
  const pools = createPools(
    { ...cfg, DATABASE_POOL_MAX: Math.max(cfg.DATABASE_POOL_MAX, cfg.WORKER_TRANSACTIONS_IN_FLIGHT + cfg.WORKER_PARTITIONS_CONCURRENTLY + 2) },
    'floodgate-worker',
  );
  // floodgate_alerts_open: a grouped count on scrape, at most one per 5 s, given up after 2 s.
  registerOpenAlertsGauge(metrics.registry, pools.primary, log);
  // maxRetriesPerRequest: a command fails fast while Redis is down, and the batch backs off (not the client).
  const redis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', () => undefined); // reconnects by itself; faults surface as failed commands, which are retried

  // The Java client's murmur2 partitioning, named rather than defaulted (kafkajs warns at start-up otherwise).
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let commits = 0;
  const rules = new AlertRuleSource(pools.primary, cfg.ALERT_RULES_REFRESH_MS);
  const writer = new ReadingWriter(pools.primary, () => rules.current(), {
    afterCommit:
      cfg.WORKER_CRASH_AFTER_DB_COMMITS > 0
        ? () => {
            if (++commits >= cfg.WORKER_CRASH_AFTER_DB_COMMITS) {
              // Written synchronously: the logger's buffered output would die with the process.
              fs.writeSync(
                2,
                `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), service: 'worker', commits, msg: 'WORKER_CRASH_AFTER_DB_COMMITS reached: killing the process before the offset commit' })}\n`,
              );
              process.kill(process.pid, 'SIGKILL');
            }
          }
        : undefined,
  });
  const publisher = new AlertPublisher(pools.primary, producer, topics.alerts, metrics, log);
  const shutdown = new AbortController();
  const batches = new GroupCommit(writer, {
    maxEvents: cfg.WORKER_TRANSACTION_MAX_EVENTS,
    maxInFlight: cfg.WORKER_TRANSACTIONS_IN_FLIGHT,
    onGroup: (n) => metrics.batchesPerTransaction.observe(n),
    isPermanent: (err) => classifyError(err).class === 'permanent',
  });
  let stopping = false;
  // One per consumer: a commit belongs to one group member.
  const offsetCommits = Array.from(
    { length: cfg.WORKER_CONSUMERS },
    () =>
      new OffsetCommits({
        intervalMs: cfg.WORKER_COMMIT_INTERVAL_MS,
        onError: (err) => log.warn({ err: (err as Error).message }, 'offset commit failed; retried with the next one'),
      }),
  );
  const newHandler = (i: number) =>
    new BatchHandler({
      batches,
      writer,
      offsets: offsetCommits[i]!,
      stopping: () => stopping,
      cache: new CacheUpdater(new DeviceCache(redis, cfg.REDIS_KEY_PREFIX), cfg.CACHE_TTL_SECONDS * 1000, metrics),
      dlq: new DeadLetterQueue(producer, topics.eventsDlq),
      publisher,
      metrics,
      log,
      backoff: { baseMs: cfg.WORKER_RETRY_BASE_MS, maxMs: cfg.WORKER_RETRY_MAX_MS },
      signal: shutdown.signal,
    });

  // WORKER_CONSUMERS members of the group in this process. kafkajs fetches again only after a fetch's batches are
  // handled, so one member leaves the database idle while it fetches and decodes; with two, one member's fetch
  // overlaps the other's transactions (they share GroupCommit, the pool and the clients).
  const consumers = Array.from({ length: cfg.WORKER_CONSUMERS }, () =>
    kafka.consumer({
      groupId: cfg.WORKER_GROUP_ID,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: cfg.WORKER_MAX_BYTES_PER_PARTITION,
      maxBytes: cfg.WORKER_MAX_BYTES,
      sessionTimeout: cfg.WORKER_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.min(3000, Math.floor(cfg.WORKER_SESSION_TIMEOUT_MS / 3)),
    }),
  );

  const joined = new Set<number>();
  consumers.forEach((consumer, i) => {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      joined.add(i);
      offsetCommits[i]!.retain(e.payload.memberAssignment);
      log.info({ consumer: i, memberId: e.payload.memberId, assigned: e.payload.memberAssignment }, 'joined the consumer group');
    });
    consumer.on(consumer.events.REBALANCING, () => {
      log.info({ consumer: i }, 'consumer group rebalancing');
      // Commit what is durable while this generation still holds the partitions (failures are only logged).
      void offsetCommits[i]!.flush();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      joined.delete(i);
      log.error({ consumer: i, err: e.payload.error.message, restart: e.payload.restart }, 'consumer crashed');
    });
  });

  const ops = await startOpsServer({
    port: cfg.HTTP_PORT,
    registry: metrics.registry,
    readiness: () => {
      const all = joined.size === consumers.length;
      return { ready: all && !stopping, details: { joined: all, stopping } };
    },
  });

  await producer.connect();
  // All members join at once, so the group forms in one rebalance rather than one per member.
  await Promise.all(
    consumers.map(async (consumer, i) => {
      await consumer.connect();
      await consumer.subscribe({ topic: topics.events, fromBeginning: true });
      await consumer.run({
        // Offsets are committed by the handler (OffsetCommits), only after their rows are durable.
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: cfg.WORKER_PARTITIONS_CONCURRENTLY,
        eachBatch: newHandler(i).eachBatch,
      });
    }),
  );
  publisher.start(cfg.ALERT_OUTBOX_INTERVAL_MS);
  void publisher.drain(); // transitions left by a previous process
  // Keep future reading partitions ready (the migration made the first ones; this runs daily while the worker lives).
  const ensurePartitions = () =>
    pools.primary
      .query('SELECT floodgate_ensure_reading_partitions()')
      .catch((err: Error) => log.warn({ err: err.message }, 'could not ensure reading partitions'));
  void ensurePartitions();
  const partitionTimer = setInterval(() => void ensurePartitions(), 24 * 3600 * 1000);
  partitionTimer.unref();
  log.info({ topic: topics.events, groupId: cfg.WORKER_GROUP_ID, httpPort: ops.port }, 'worker consuming');

  return {
    port: ops.port,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(partitionTimer);
      shutdown.abort();
      // Offsets deferred by the commit interval go now; batches still in flight commit theirs before kafkajs leaves
      // the group (they see `stopping`).
      await Promise.all(offsetCommits.map((o) => o.flush()));
      // disconnect() waits for the batch in flight (it finishes and commits its offset at once, or is abandoned
      // unresolved) and leaves the group, so the partitions move to another worker at once.
      await Promise.all(consumers.map((c) => c.disconnect().catch((err: Error) => log.warn({ err: err.message }, 'consumer disconnect failed'))));
      await publisher.stop();
      await producer.disconnect().catch(() => undefined);
      await pools.end().catch(() => undefined);
      redis.disconnect();
      await ops.close();
      log.info('worker stopped');
    },
  };
}
