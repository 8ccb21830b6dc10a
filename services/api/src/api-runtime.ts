/**
 * Builds the running API from its configuration: creates every client once (Kafka producer
 * and admin, PostgreSQL pools, Redis), wires the app, listens, and shuts down in order
 * (stop accepting, finish requests, flush the producer, close clients) within a bound.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Kafka, Partitioners, logLevel, type KafkaConfig, type Producer } from 'kafkajs';
import { createLogger, kafkaConnection, kafkaLogCreator, topicNames, type Logger } from '@floodgate/config';
import { DeviceCache } from '@floodgate/cache';
import { createPools } from '@floodgate/db';
// The gauge only, not the package index: the SDK is loaded by the register preload when tracing is on.
import { registerReplicaLagGauge } from '@floodgate/telemetry/src/replica-lag';
import { keepCallerContexts } from '@floodgate/telemetry/src/redis-caller-context';
import { createApp, securityHeaders } from './app';
import { ApiKeyVerifier } from './auth/api-keys';
import { JwtVerifier } from './auth/jwt-verifier';
import { BatchingProducer } from './batching-producer';
import { answerClientErrorsWithProblems } from './client-errors';
import { lingerOnClose } from './lingering-close';
import type { ApiConfig } from './config';
import { DependencyMonitor } from './dependency-monitor';
import { createMetrics, type ApiMetrics } from './metrics';
import { RateLimiter } from './rate-limit';
import { AuthFailureLimiter } from './auth/auth-failure-limiter';

export interface RunningApi {
  server: http.Server;
  port: number;
  url: string;
  metrics: ApiMetrics;
  /** Graceful shutdown; resolves when everything is closed or the bound has passed. */
  shutdown(reason?: string): Promise<void>;
}

export async function startApi(cfg: ApiConfig, logger: Logger = createLogger('floodgate-api', cfg.LOG_LEVEL)): Promise<RunningApi> {
  const metrics = createMetrics();
  // The shared settings' SASL union is wider than kafkajs's discriminated one; the values are the same.
  // A short ceiling on the connection backoff: after an outage the client tries again within
  // two seconds instead of kafkajs's default thirty, so ingest recovers soon after Kafka does.
  const kafka = new Kafka({
    ...(kafkaConnection(cfg) as KafkaConfig),
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 10 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });
  const producers: Producer[] = Array.from({ length: cfg.INGEST_PRODUCERS }, () =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The Java client's murmur2 partitioning: the same key lands on the same partition whoever produces it.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Unlimited retries keep idempotence sound (kafkajs warns otherwise); the ack timeout bounds what a client waits.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2000 },
    }),
  );
  const admin = kafka.admin();
  const pools = createPools(cfg, 'floodgate-api', { onReplicaFallback: () => metrics.replicaFallbacks.inc() });
  // floodgate_db_replica_lag_seconds: measured on the read replica when scraped (at most one query per 5 s).
  registerReplicaLagGauge(metrics.registry, pools.replica, {
    onError: (err) => logger.debug({ err: err.message }, 'could not measure the read replica lag'),
  });
  // No offline queue: while Redis is down commands fail at once, so reads fall back to the
  // replica and rate limiting to the local limiter instead of waiting. Auto-pipelining sends the
  // commands of concurrent requests (rate limit, cache reads) in one write per tick; keepCallerContexts
  // keeps each command's span in its own request's trace (ioredis sends them from the first caller's).
  const redis = keepCallerContexts(
    new Redis(cfg.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000, enableAutoPipelining: true }),
  );
  redis.on('error', () => undefined); // reconnects on its own; the monitor reports the state
  // Wait briefly for Redis so the first requests are limited in Redis, not locally; start degraded if it is down.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });

  let shuttingDown = false;
  const topic = topicNames(cfg.KAFKA_TOPIC_PREFIX).events;
  const batching = new BatchingProducer(
    producers,
    {
      topic,
      lingerMs: cfg.INGEST_LINGER_MS,
      maxBatchMessages: cfg.INGEST_MAX_BATCH_MESSAGES,
      maxInflightEvents: cfg.INGEST_MAX_INFLIGHT_EVENTS,
      ackTimeoutMs: cfg.INGEST_ACK_TIMEOUT_MS,
    },
    metrics,
    logger,
  );
  // Kafka may be down at start: the producers connect in the background, a send waits for its producer's connect,
  // and one that failed is connected again by its next send (ingest answers 503 while Kafka cannot be reached).
  batching.connectInBackground((err) => logger.warn({ err: err.message }, 'Kafka producer not connected yet; ingest answers 503 until it is'));
  admin.connect().catch(() => undefined);

  const monitor = new DependencyMonitor(
    DependencyMonitor.probesFor({ admin, primary: pools.primary, replica: pools.replica, redis }),
    metrics,
    cfg.DEPENDENCY_PROBE_INTERVAL_MS,
    (dependency, error) => logger.warn({ dependency, err: error }, 'dependency probe failed; /healthz reports it down'),
  );
  monitor.start();

  const app = createApp({
    logger,
    metrics,
    jwt: new JwtVerifier({
      secret: cfg.JWT_SECRET,
      jwksUrl: cfg.JWT_JWKS_URL,
      issuer: cfg.JWT_ISSUER,
      audience: cfg.JWT_AUDIENCE,
      algorithms: cfg.JWT_ALGORITHMS,
      clockToleranceSeconds: cfg.JWT_CLOCK_TOLERANCE_SECONDS,
      cacheMaxEntries: cfg.JWT_CACHE_MAX_ENTRIES,
      jwksCooldownMs: cfg.JWT_JWKS_COOLDOWN_MS,
    }),
    apiKeys: new ApiKeyVerifier(pools.primary, cfg.API_KEY_CACHE_TTL_MS),
    rateLimiter: new RateLimiter(redis, cfg.RATE_LIMIT_PER_MINUTE, cfg.REDIS_KEY_PREFIX, metrics, logger, cfg.RATE_LIMIT_LEASE_MAX),
    authFailures:
      cfg.AUTH_FAILURES_PER_MINUTE > 0
        ? new AuthFailureLimiter(new RateLimiter(redis, cfg.AUTH_FAILURES_PER_MINUTE, cfg.REDIS_KEY_PREFIX, metrics, logger), cfg.AUTH_FAILURES_PER_MINUTE)
        : undefined,
    producer: batching,
    primary: pools.primary,
    replica: pools.replica,
    cache: new DeviceCache(redis, cfg.REDIS_KEY_PREFIX),
    monitor,
    cacheFillTtlMs: cfg.CACHE_FILL_TTL_MS,
    retryAfterSeconds: cfg.RETRY_AFTER_SECONDS,
    trustProxyHops: cfg.TRUST_PROXY_HOPS,
    isShuttingDown: () => shuttingDown,
  });

  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 65_000 }, app);
  answerClientErrorsWithProblems(server, securityHeaders);
  lingerOnClose(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.PORT, cfg.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, topic }, 'API listening');

  let closing: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown') => {
    closing ??= (async () => {
      shuttingDown = true;
      logger.info({ reason, drainDelayMs: cfg.SHUTDOWN_DRAIN_DELAY_MS }, 'shutting down: draining requests');
      const bound = new Promise<void>((resolve) => setTimeout(resolve, cfg.SHUTDOWN_TIMEOUT_MS).unref());
      const orderly = (async () => {
        if (cfg.SHUTDOWN_DRAIN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, cfg.SHUTDOWN_DRAIN_DELAY_MS));
        // close() stops accepting and closes idle keep-alive connections; requests being handled finish first.
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await batching.close();
        await Promise.allSettled([...producers.map((p) => p.disconnect()), admin.disconnect(), monitor.stop()]);
        await Promise.allSettled([pools.end(), redis.quit()]);
      })();
      await Promise.race([orderly, bound]);
      server.closeAllConnections();
      redis.disconnect();
      logger.info('shut down');
    })();
    return closing;
  };

  return { server, port, url: `http://127.0.0.1:${port}`, metrics, shutdown };
}
