/** Entry point of the operator process: configuration, clients, the operator, graceful shutdown. */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, createLogger } from '@floodgate/config';
import { loadConfig } from './config';
import { Operator } from './operator';

async function main(): Promise<void> {
  const log = createLogger('floodgate-operator');
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal({ problems: err.problems }, err.message);
      process.exit(2);
    }
    throw err;
  }
  const kc = new KubeConfig();
  // KUBECONFIG if set, otherwise the pod's service account (in-cluster).
  if (cfg.KUBECONFIG) kc.loadFromFile(cfg.KUBECONFIG);
  else kc.loadFromDefault();
  const operator = new Operator(
    kc,
    {
      identity: cfg.POD_NAME,
      leaseNamespace: cfg.POD_NAMESPACE,
      leaseName: cfg.LEASE_NAME,
      ...(cfg.WATCH_NAMESPACE ? { watchNamespace: cfg.WATCH_NAMESPACE } : {}),
      httpPort: cfg.HTTP_PORT,
      leaseDurationSeconds: cfg.LEASE_DURATION_SECONDS,
      renewDeadlineSeconds: cfg.LEASE_RENEW_DEADLINE_SECONDS,
      retryPeriodSeconds: cfg.LEASE_RETRY_PERIOD_SECONDS,
      watchdogSeconds: cfg.WATCHDOG_SECONDS,
      resyncSeconds: cfg.RESYNC_SECONDS,
      kafka: { clientId: cfg.KAFKA_CLIENT_ID, connectionTimeout: cfg.KAFKA_CONNECTION_TIMEOUT_MS, requestTimeout: cfg.KAFKA_REQUEST_TIMEOUT_MS },
    },
    log,
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    operator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await operator.start();
  log.info({ port: operator.port, identity: cfg.POD_NAME, watchNamespace: cfg.WATCH_NAMESPACE ?? '(all)' }, 'operator started');
}

main().catch((err: unknown) => {
  createLogger('floodgate-operator').fatal({ err: (err as Error).message }, 'operator failed to start');
  process.exit(1);
});
