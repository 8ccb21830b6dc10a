/**
 * `make demo` without a cluster: scales local worker processes from the consumer group's lag with
 * the operator's decision function. Configuration from the environment, parsed once.
 */
import { z } from 'zod';
import { ConfigError, createLogger, env, kafkaConnection, kafkaSettings, loggingSettings, parseEnv, topicNames } from '@floodgate/config';
import { defaultScaleDown, defaultScaleUp } from './decide-replicas';
import { LagReader } from './lag-reader';
import { LocalPool, runLocalScaler } from './local-pool';

const localSettings = z
  .object({
    ...loggingSettings,
    ...kafkaSettings,
    /** The worker command, split on spaces, e.g. `npx tsx services/worker/src/main.ts consume`. */
    LOCAL_POOL_COMMAND: z.string().min(1),
    LOCAL_POOL_CONSUMER_GROUP: z.string().min(1).default('floodgate-worker'),
    /** Comma-separated topics; default `<KAFKA_TOPIC_PREFIX>.events`. */
    LOCAL_POOL_TOPICS: env.optional(),
    LOCAL_POOL_OFFSET_RESET_POLICY: z.enum(['earliest', 'latest']).default('earliest'),
    LOCAL_POOL_MIN_REPLICAS: env.int(1, 0, 1000),
    LOCAL_POOL_MAX_REPLICAS: env.int(4, 1, 1000),
    LOCAL_POOL_LAG_PER_REPLICA: env.int(1000, 1),
    LOCAL_POOL_ACTIVATION_LAG: env.int(0, 0),
    /** Each worker process's WORKER_CONSUMERS (set in its environment) and the decision's consumersPerReplica. */
    LOCAL_POOL_CONSUMERS_PER_REPLICA: env.int(2, 1, 16),
    LOCAL_POOL_POLLING_INTERVAL_SECONDS: env.number(5, 0.1),
    LOCAL_POOL_SCALE_DOWN_WINDOW_SECONDS: env.int(60, 0, 3600),
    LOCAL_POOL_DRAIN_TARGET_SECONDS: z.coerce.number().int().min(1).optional(),
    LOCAL_POOL_STOP_GRACE_SECONDS: env.int(20, 1, 600),
    /** Replica i gets HTTP_PORT = base + i (unset: the workers' own default). */
    LOCAL_POOL_HTTP_PORT_BASE: z.coerce.number().int().min(1).max(65000).optional(),
  })
  .refine((c) => c.LOCAL_POOL_MIN_REPLICAS <= c.LOCAL_POOL_MAX_REPLICAS, {
    message: 'must be at most LOCAL_POOL_MAX_REPLICAS',
    path: ['LOCAL_POOL_MIN_REPLICAS'],
  });

function main(): void {
  const log = createLogger('floodgate-local-scaler');
  let cfg: z.infer<typeof localSettings>;
  try {
    cfg = parseEnv(localSettings);
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal({ problems: err.problems }, err.message);
      process.exit(2);
    }
    throw err;
  }
  const [command, ...args] = cfg.LOCAL_POOL_COMMAND.split(/\s+/).filter(Boolean) as [string, ...string[]];
  const pool = new LocalPool({
    command,
    args,
    stopGraceMs: cfg.LOCAL_POOL_STOP_GRACE_SECONDS * 1000,
    env: { WORKER_CONSUMERS: String(cfg.LOCAL_POOL_CONSUMERS_PER_REPLICA) },
    ...(cfg.LOCAL_POOL_HTTP_PORT_BASE ? { httpPortBase: cfg.LOCAL_POOL_HTTP_PORT_BASE } : {}),
    log,
  });
  const scaler = runLocalScaler({
    pool,
    reader: new LagReader(kafkaConnection({ ...cfg, KAFKA_CLIENT_ID: `${cfg.KAFKA_CLIENT_ID}-local-scaler` })),
    group: cfg.LOCAL_POOL_CONSUMER_GROUP,
    topics: cfg.LOCAL_POOL_TOPICS ? cfg.LOCAL_POOL_TOPICS.split(',').map((t) => t.trim()) : [topicNames(cfg.KAFKA_TOPIC_PREFIX).events],
    offsetResetPolicy: cfg.LOCAL_POOL_OFFSET_RESET_POLICY,
    spec: {
      minReplicas: cfg.LOCAL_POOL_MIN_REPLICAS,
      maxReplicas: cfg.LOCAL_POOL_MAX_REPLICAS,
      lagPerReplica: cfg.LOCAL_POOL_LAG_PER_REPLICA,
      activationLag: cfg.LOCAL_POOL_ACTIVATION_LAG,
      consumersPerReplica: cfg.LOCAL_POOL_CONSUMERS_PER_REPLICA,
      ...(cfg.LOCAL_POOL_DRAIN_TARGET_SECONDS ? { drainTargetSeconds: cfg.LOCAL_POOL_DRAIN_TARGET_SECONDS } : {}),
      scaleUp: defaultScaleUp,
      scaleDown: { ...defaultScaleDown, stabilizationWindowSeconds: cfg.LOCAL_POOL_SCALE_DOWN_WINDOW_SECONDS },
    },
    pollingIntervalSeconds: cfg.LOCAL_POOL_POLLING_INTERVAL_SECONDS,
    log,
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping the local workers');
    scaler.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: (err as Error).message }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  log.info({ command: cfg.LOCAL_POOL_COMMAND, group: cfg.LOCAL_POOL_CONSUMER_GROUP }, 'local scaler started');
}

main();
