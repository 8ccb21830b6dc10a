/** The worker's and notifier's Prometheus metrics (names are the dashboards' contract; no device ids as labels). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createWorkerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsProcessed: new Counter({
      name: 'floodgate_worker_events_processed_total',
      help: 'Events handled by the worker, by outcome (stored = new row, duplicate = redelivery, dead_lettered = sent to the DLQ).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'floodgate_worker_batch_size',
      help: 'Messages per Kafka partition batch (batches of one fetch may share a transaction: floodgate_worker_batches_per_transaction).',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
    batchesPerTransaction: new Histogram({
      name: 'floodgate_worker_batches_per_transaction',
      help: 'Partition batches written in one database transaction (group commit).',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'floodgate_worker_batch_duration_seconds',
      help: 'Time from receiving a batch to recording its offset for commit (committed at once only when stopping or with WORKER_COMMIT_INTERVAL_MS=0), retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    endToEndLatency: new Histogram({
      name: 'floodgate_end_to_end_latency_seconds',
      help: 'From the API accepting an event (floodgate-ingest-time header) to its reading being committed in PostgreSQL.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'floodgate_worker_retries_total',
      help: 'Batch retries after a transient fault, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    dlqMessages: new Counter({
      name: 'floodgate_dlq_messages_total',
      help: 'Messages sent to a dead-letter topic, by topic.',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    cacheWrites: new Counter({
      name: 'floodgate_cache_writes_total',
      help: 'Device-state cache writes after a commit: written, or stale (the cache already held a newer state).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    alertTransitions: new Counter({
      name: 'floodgate_alerts_transitions_total',
      help: 'Alert transitions stored by the worker, by kind (opened, escalated, resolved) and severity.',
      labelNames: ['kind', 'severity'] as const,
      registers: [registry],
    }),
    alertsPublished: new Counter({
      name: 'floodgate_alerts_published_total',
      help: 'Alert transitions published from the outbox to the alerts topic.',
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export function createNotifierMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    deliveries: new Counter({
      name: 'floodgate_notifier_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (delivered, retried, dead_lettered, refused).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveryDuration: new Histogram({
      name: 'floodgate_notifier_delivery_duration_seconds',
      help: 'Duration of one webhook request.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    dlqMessages: new Counter({
      name: 'floodgate_dlq_messages_total',
      help: 'Messages sent to a dead-letter topic, by topic.',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
  };
}

export type NotifierMetrics = ReturnType<typeof createNotifierMetrics>;
