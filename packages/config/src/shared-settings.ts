/**
 * Settings shared by the services: Kafka (with TLS and SASL, so the same code runs
 * against Strimzi or a managed Kafka), PostgreSQL (primary and replica), Redis,
 * logging. Each service composes its own schema from these.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { env } from './parse-env';

export const loggingSettings = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const kafkaSettings = {
  /** Comma-separated bootstrap servers, e.g. `floodgate-kafka-bootstrap:9093`. */
  KAFKA_BROKERS: env.list(),
  KAFKA_CLIENT_ID: z.string().min(1).default('floodgate'),
  /** Topic names are `<prefix>.events`, `<prefix>.events.dlq`, `<prefix>.alerts`. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default('floodgate'),
  KAFKA_SSL: env.bool(false),
  /** PEM file of the CA that signed the brokers' certificates (e.g. Strimzi's cluster CA). */
  KAFKA_SSL_CA_FILE: env.optional(),
  KAFKA_SSL_REJECT_UNAUTHORIZED: env.bool(true),
  KAFKA_SASL_MECHANISM: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none'),
  KAFKA_SASL_USERNAME: env.optional(),
  KAFKA_SASL_PASSWORD: env.optional(),
  /** Alternative to KAFKA_SASL_PASSWORD: a file holding it (a mounted Secret). */
  KAFKA_SASL_PASSWORD_FILE: env.optional(),
  KAFKA_CONNECTION_TIMEOUT_MS: env.int(3000, 100),
  KAFKA_REQUEST_TIMEOUT_MS: env.int(10000, 100),
};

export const postgresSettings = {
  /** The primary (CloudNativePG `<cluster>-rw` service): every write goes here. */
  DATABASE_URL: z.string().min(1),
  /** A read replica (`<cluster>-ro`); defaults to DATABASE_URL. */
  DATABASE_READ_URL: env.optional(),
  /** When the replica cannot be reached: read from the primary (`primary`) or answer 503 (`none`). */
  DATABASE_READ_FALLBACK: z.enum(['primary', 'none']).default('primary'),
  DATABASE_POOL_MAX: env.int(10, 1, 1000),
  DATABASE_STATEMENT_TIMEOUT_MS: env.int(10000, 0),
};

export const redisSettings = {
  /** `redis://[:password@]host:port[/db]` or `rediss://` for TLS. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
};

type KafkaEnv = z.infer<z.ZodObject<typeof kafkaSettings>>;

export interface KafkaConnection {
  clientId: string;
  brokers: string[];
  ssl?: { ca?: string[]; rejectUnauthorized: boolean } | boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  connectionTimeout: number;
  requestTimeout: number;
}

/** Turns validated Kafka settings into kafkajs connection options, reading secret files once. */
export function kafkaConnection(cfg: KafkaEnv): KafkaConnection {
  const conn: KafkaConnection = {
    clientId: cfg.KAFKA_CLIENT_ID,
    brokers: cfg.KAFKA_BROKERS,
    connectionTimeout: cfg.KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeout: cfg.KAFKA_REQUEST_TIMEOUT_MS,
  };
  if (cfg.KAFKA_SSL) {
    conn.ssl = {
      rejectUnauthorized: cfg.KAFKA_SSL_REJECT_UNAUTHORIZED,
      ...(cfg.KAFKA_SSL_CA_FILE ? { ca: [fs.readFileSync(cfg.KAFKA_SSL_CA_FILE, 'utf8')] } : {}),
    };
  }
  if (cfg.KAFKA_SASL_MECHANISM !== 'none') {
    const password = cfg.KAFKA_SASL_PASSWORD ?? (cfg.KAFKA_SASL_PASSWORD_FILE ? fs.readFileSync(cfg.KAFKA_SASL_PASSWORD_FILE, 'utf8').trim() : undefined);
    if (!cfg.KAFKA_SASL_USERNAME || !password) {
      throw new Error(`KAFKA_SASL_MECHANISM=${cfg.KAFKA_SASL_MECHANISM} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)`);
    }
    conn.sasl = { mechanism: cfg.KAFKA_SASL_MECHANISM, username: cfg.KAFKA_SASL_USERNAME, password };
  }
  return conn;
}
