/** The operator's Prometheus metrics, in a registry per operator instance (two can run in one test process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly lag = new Gauge({
    name: 'floodgate_operator_lag_messages',
    help: 'Total lag of the LagScaler consumer group, in messages',
    labelNames: ['namespace', 'lagscaler'],
    registers: [this.registry],
  });
  readonly partitionLag = new Gauge({
    name: 'floodgate_operator_partition_lag_messages',
    help: 'Lag per partition, in messages',
    labelNames: ['namespace', 'lagscaler', 'topic', 'partition'],
    registers: [this.registry],
  });
  readonly desired = new Gauge({
    name: 'floodgate_operator_desired_replicas',
    help: 'Replicas the last decision asked for',
    labelNames: ['namespace', 'lagscaler'],
    registers: [this.registry],
  });
  readonly current = new Gauge({
    name: 'floodgate_operator_current_replicas',
    help: 'Replicas of the scale target (spec.replicas)',
    labelNames: ['namespace', 'lagscaler'],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'floodgate_operator_scaling_decisions_total',
    help: 'Scaling decisions by direction (up, down, none) and whether they were applied',
    labelNames: ['namespace', 'lagscaler', 'direction', 'applied'],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'floodgate_operator_reconcile_duration_seconds',
    help: 'Duration of one reconcile (measure, decide, act, report)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly reconciles = new Counter({
    name: 'floodgate_operator_reconciles_total',
    help: 'Reconciles run by this instance while leading',
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'floodgate_operator_reconcile_errors_total',
    help: 'Reconciles that ended in an error, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly kafkaErrors = new Counter({
    name: 'floodgate_operator_kafka_errors_total',
    help: 'Kafka Admin API failures, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'floodgate_operator_kube_api_requests_total',
    help: 'Kubernetes API requests by verb, resource and HTTP status code',
    labelNames: ['verb', 'resource', 'code'],
    registers: [this.registry],
  });
  readonly kubeErrors = new Counter({
    name: 'floodgate_operator_kube_api_errors_total',
    help: 'Kubernetes API requests that failed (status >= 400 or no answer)',
    labelNames: ['verb', 'resource'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({ name: 'floodgate_operator_leader', help: '1 while this instance holds the Lease', registers: [this.registry] });
  readonly informerRestarts = new Counter({
    name: 'floodgate_operator_informer_restarts_total',
    help: 'Watch replacements by the watchdog, resync or after errors',
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'floodgate_operator_' });
  }

  countKubeRequest = (verb: string, resource: string, code: string): void => {
    this.kubeRequests.inc({ verb, resource, code });
    if (code === 'error' || Number(code) >= 400) this.kubeErrors.inc({ verb, resource });
  };

  forget(namespace: string, lagscaler: string): void {
    for (const g of [this.lag, this.desired, this.current]) g.remove({ namespace, lagscaler });
    this.partitionLag.reset();
  }
}
