/** The API's configuration: one zod schema over the environment, parsed once at start-up. */
import { z } from 'zod';
import { env, kafkaSettings, loggingSettings, parseEnv, postgresSettings, redisSettings } from '@floodgate/config';

const jwtAlgorithm = z.enum(['HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']);

export const apiConfigSchema = z
  .object({
    ...loggingSettings,
    ...kafkaSettings,
    ...postgresSettings,
    ...redisSettings,
    PORT: env.port(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    /** HS256 key for local use; at least 32 bytes so it cannot be brute-forced offline. */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Production: the identity provider's JWKS (RS256/ES256/EdDSA keys, cached and rotated). */
    JWT_JWKS_URL: z.url().optional(),
    JWT_ISSUER: z.string().min(1).default('floodgate'),
    /** After fetching the JWKS, wait this long before refetching for an unknown `kid` (key rotation). */
    JWT_JWKS_COOLDOWN_MS: env.int(30_000, 0),
    JWT_AUDIENCE: z.string().min(1).default('floodgate-api'),
    /** Pinned algorithms; default HS256 with JWT_SECRET and RS256,ES256,EdDSA with JWT_JWKS_URL. */
    JWT_ALGORITHMS: env.list().pipe(z.array(jwtAlgorithm).min(1)).optional(),
    JWT_CLOCK_TOLERANCE_SECONDS: env.int(30, 0, 300),
    /** Verified tokens are cached until they expire; this bounds the cache. */
    JWT_CACHE_MAX_ENTRIES: env.int(10000, 0, 1_000_000),
    /** How long a verified API key is trusted before the database is asked again (the revocation delay). */
    API_KEY_CACHE_TTL_MS: env.int(5000, 0, 300_000),
    RATE_LIMIT_PER_MINUTE: env.int(1000, 1),
    /** Most requests of one principal a process takes from the shared Redis window in one call and spends locally
     * (also at most 1/1000 of RATE_LIMIT_PER_MINUTE, so the default limit counts every request; 1: always). */
    RATE_LIMIT_LEASE_MAX: env.int(64, 1, 1000),
    /** Failed authentications per client address per minute; beyond it the address gets 429 until the window frees
     * (0: off, the default). The address is the client's only with TRUST_PROXY_HOPS right behind a proxy, and devices
     * behind one NAT share it: see docs/security.md before turning it on. */
    AUTH_FAILURES_PER_MINUTE: env.int(0, 0),
    /** Key prefix in Redis, shared with the worker's device cache. */
    REDIS_KEY_PREFIX: z.string().min(1).default('floodgate'),
    /** TTL of a device state filled into Redis from a replica (the worker refreshes on every event). */
    CACHE_FILL_TTL_MS: env.int(30_000, 1),
    /** How long the producer waits for concurrent requests to join one sendBatch. */
    INGEST_LINGER_MS: env.int(2, 0, 100),
    /** A sendBatch closes early at this many messages. */
    INGEST_MAX_BATCH_MESSAGES: env.int(2000, 1, 100_000),
    /** Events accepted into memory but not yet acknowledged by Kafka; above it ingest answers 503. */
    INGEST_MAX_INFLIGHT_EVENTS: env.int(50_000, 1),
    /** A request waits this long for Kafka's acknowledgement before answering 503 (the outcome is then unknown). */
    INGEST_ACK_TIMEOUT_MS: env.int(5000, 100),
    /** Idempotent producers (connections) used side by side: kafkajs keeps one request in flight per producer.
     * More than one helped single-event latency a little and cost batch throughput on 2 cores (bench/api). */
    INGEST_PRODUCERS: env.int(1, 1, 16),
    /** Retry-After (seconds) sent with 503. */
    RETRY_AFTER_SECONDS: env.int(2, 1, 3600),
    /** SIGTERM: keep serving this long (readiness already 503, responses say Connection: close) so requests
     * in transit and load balancers catching up are answered rather than reset; then stop accepting. */
    SHUTDOWN_DRAIN_DELAY_MS: env.int(1000, 0, 60_000),
    /** SIGTERM: after this the process exits even if Kafka or a pool has not finished closing. */
    SHUTDOWN_TIMEOUT_MS: env.int(15_000, 100),
    /** Express `trust proxy` (hops), so the client address behind the ingress is right. */
    TRUST_PROXY_HOPS: env.int(0, 0, 10),
    DEPENDENCY_PROBE_INTERVAL_MS: env.int(5000, 100),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.JWT_SECRET && !cfg.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set JWT_SECRET (local HS256) or JWT_JWKS_URL (production)' });
    }
    const algorithms = cfg.JWT_ALGORITHMS ?? [];
    if (algorithms.includes('HS256') && !cfg.JWT_SECRET) ctx.addIssue({ code: 'custom', path: ['JWT_ALGORITHMS'], message: 'HS256 needs JWT_SECRET' });
    if (algorithms.some((a) => a !== 'HS256') && !cfg.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_ALGORITHMS'], message: 'asymmetric algorithms need JWT_JWKS_URL' });
    }
  });

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(apiConfigSchema, source);
}
