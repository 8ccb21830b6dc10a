/** The API's Prometheus metrics, in a registry per process (tests run several apps side by side). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ingestEvents: new Counter({
      name: 'floodgate_ingest_events_total',
      help: 'Events by outcome: accepted (acknowledged by Kafka), rejected (invalid or forbidden), unavailable (503, not written), undetermined (503 after a timeout; may still land)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    ingestBatches: new Counter({
      name: 'floodgate_ingest_batches_total',
      help: 'Kafka sendBatch calls made by the coalescing producer',
      registers: [registry],
    }),
    ingestBatchRequests: new Histogram({
      name: 'floodgate_ingest_batch_requests',
      help: 'HTTP requests whose events were coalesced into one Kafka sendBatch',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
    producerSendDuration: new Histogram({
      name: 'floodgate_producer_send_duration_seconds',
      help: 'Time from sendBatch to the broker acknowledgement',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    producerInflight: new Gauge({
      name: 'floodgate_producer_inflight_events',
      help: 'Events accepted into memory and not yet acknowledged or failed by Kafka',
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'floodgate_cache_requests_total',
      help: 'Device state reads by cache result',
      labelNames: ['result'],
      registers: [registry],
    }),
    replicaFallbacks: new Counter({
      name: 'floodgate_replica_fallbacks_total',
      help: 'Reads sent to the primary because the read replica could not be reached (DATABASE_READ_FALLBACK=primary)',
      registers: [registry],
    }),
    rateLimitDegraded: new Gauge({
      name: 'floodgate_rate_limit_degraded',
      help: '1 while Redis is unreachable and each process limits on its own',
      registers: [registry],
    }),
    dependencyUp: new Gauge({
      name: 'floodgate_dependency_up',
      help: 'Whether the last probe of a dependency succeeded',
      labelNames: ['dependency'],
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createMetrics>;
