/** The worker's configuration: one zod schema over the environment, parsed once at start-up. */
import { z } from 'zod';
import { env, kafkaSettings, loggingSettings, parseEnv, postgresSettings, redisSettings } from '@floodgate/config';

export const workerSchema = z.object({
  ...loggingSettings,
  ...kafkaSettings,
  ...postgresSettings,
  ...redisSettings,
  HTTP_PORT: env.port(9464),
  /** Consumer group of the persistence workers; the operator reads its lag. */
  WORKER_GROUP_ID: z.string().min(1).default('floodgate-worker'),
  /**
   * How many partition batches kafkajs hands over at once. One fetch brings a batch per partition with data; at 12
   * (the events topic's partition count) they are all handed over together and share transactions (group commit).
   */
  WORKER_PARTITIONS_CONCURRENTLY: env.int(12, 1, 64),
  /**
   * Members of the consumer group in one process. kafkajs fetches again only after a fetch's batches are handled;
   * with 2, one member's fetch overlaps the other's database work (lower latency). Each member takes its own
   * partitions, so the LagScaler's `consumersPerReplica` must equal this (the chart sets both from
   * `worker.consumers`): it caps replicas at ceil(partitions / members per replica).
   */
  WORKER_CONSUMERS: env.int(2, 1, 16),
  /** At most this many events per database transaction; batches beyond it wait for the next transaction. */
  WORKER_TRANSACTION_MAX_EVENTS: env.int(10000, 1),
  /** Database transactions one process runs at once (each holds a connection). */
  WORKER_TRANSACTIONS_IN_FLIGHT: env.int(2, 1, 64),
  /**
   * At most one offset commit per this many ms per group member (0: after every group of batches, awaited). Offsets
   * are committed only once their rows are durable; what a crash or a rebalance leaves uncommitted (at most this
   * long's batches) is redelivered and deduplicated. Each commit costs the broker about 2 ms of CPU.
   */
  WORKER_COMMIT_INTERVAL_MS: env.int(500, 0, 60000),
  /** Upper bound on bytes fetched per partition per request; bounds a batch's size and memory. */
  WORKER_MAX_BYTES_PER_PARTITION: env.int(4 * 1024 * 1024, 1024),
  /** Upper bound on bytes per fetch across partitions: larger fetches mean larger batches (fewer commits) under lag. */
  WORKER_MAX_BYTES: env.int(32 * 1024 * 1024, 1024),
  /** A crashed worker's partitions move to others after this long without its heartbeat. */
  WORKER_SESSION_TIMEOUT_MS: env.int(30000, 6000, 300000),
  /** Backoff for transient faults (database or Redis down): exponential from BASE to MAX with full jitter. */
  WORKER_RETRY_BASE_MS: env.int(200, 1),
  WORKER_RETRY_MAX_MS: env.int(30000, 1),
  /** Redis key prefix of the device cache, shared with the API (same variable, same keys). */
  REDIS_KEY_PREFIX: z.string().min(1).default('floodgate'),
  CACHE_TTL_SECONDS: env.int(86400, 1),
  /** How often alert rules are re-read from the database (the API edits them). */
  ALERT_RULES_REFRESH_MS: env.int(10000, 100),
  /** How often the alert outbox is drained even when no batch produced transitions (recovers failed publishes). */
  ALERT_OUTBOX_INTERVAL_MS: env.int(5000, 100),
  /**
   * Fault injection for the crash-consistency test only: after this many database commits the process kills
   * itself with SIGKILL before committing offsets. 0 (the default) disables it.
   */
  WORKER_CRASH_AFTER_DB_COMMITS: env.int(0, 0),
});

export type WorkerConfig = z.infer<typeof workerSchema>;

export const notifierSchema = z.object({
  ...loggingSettings,
  ...kafkaSettings,
  HTTP_PORT: env.port(9465),
  NOTIFIER_GROUP_ID: z.string().min(1).default('floodgate-notifier'),
  /** Comma-separated webhook URLs; every alert transition is delivered to each. */
  NOTIFIER_WEBHOOK_URLS: env.list(),
  /** HMAC-SHA256 key for the `Floodgate-Signature` header. */
  NOTIFIER_WEBHOOK_SECRET: z.string().min(16, 'use at least 16 characters'),
  /** Loopback, private, link-local and metadata targets are refused unless this is true (tests, private clusters). */
  NOTIFIER_ALLOW_PRIVATE_TARGETS: env.bool(false),
  NOTIFIER_MAX_ATTEMPTS: env.int(6, 1, 50),
  NOTIFIER_RETRY_BASE_MS: env.int(500, 1),
  NOTIFIER_RETRY_MAX_MS: env.int(60000, 1),
  NOTIFIER_TIMEOUT_MS: env.int(5000, 100),
});

export type NotifierConfig = z.infer<typeof notifierSchema>;

export const loadWorkerConfig = (e: NodeJS.ProcessEnv = process.env) => parseEnv(workerSchema, e);
export const loadNotifierConfig = (e: NodeJS.ProcessEnv = process.env) => parseEnv(notifierSchema, e);
