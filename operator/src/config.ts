/** The operator's configuration: one schema over the environment, parsed once at start-up. */
import os from 'node:os';
import { z } from 'zod';
import { env, kafkaSettings, loggingSettings, parseEnv } from '@floodgate/config';

export const operatorSettings = z
  .object({
    ...loggingSettings,
    HTTP_PORT: env.port(8081),
    /** The operator's own namespace (downward API): where its Lease lives. */
    POD_NAMESPACE: z.string().min(1).default('default'),
    /** This replica's identity in the Lease (downward API: metadata.name). */
    POD_NAME: z.string().min(1).default(os.hostname()),
    LEASE_NAME: z.string().min(1).default('floodgate-operator'),
    /** Watch one namespace only; all namespaces when unset. */
    WATCH_NAMESPACE: env.optional(),
    LEASE_DURATION_SECONDS: env.int(15, 1, 3600),
    LEASE_RENEW_DEADLINE_SECONDS: env.int(10, 1, 3600),
    LEASE_RETRY_PERIOD_SECONDS: env.number(2, 0.1),
    WATCHDOG_SECONDS: env.int(120, 1, 86400),
    RESYNC_SECONDS: env.int(300, 1, 86400),
    /** Client id and timeouts for every LagScaler's Kafka connection; brokers and credentials come from each LagScaler. */
    KAFKA_CLIENT_ID: z.string().min(1).default('floodgate-operator'),
    KAFKA_CONNECTION_TIMEOUT_MS: kafkaSettings.KAFKA_CONNECTION_TIMEOUT_MS,
    KAFKA_REQUEST_TIMEOUT_MS: kafkaSettings.KAFKA_REQUEST_TIMEOUT_MS,
    /** Path of a kubeconfig; in a pod the service account is used when unset. */
    KUBECONFIG: env.optional(),
  })
  .refine((c) => c.LEASE_RENEW_DEADLINE_SECONDS < c.LEASE_DURATION_SECONDS, {
    message: 'must be less than LEASE_DURATION_SECONDS',
    path: ['LEASE_RENEW_DEADLINE_SECONDS'],
  });

export type OperatorConfig = z.infer<typeof operatorSettings>;

export const loadConfig = (source: NodeJS.ProcessEnv = process.env): OperatorConfig => parseEnv(operatorSettings, source);
