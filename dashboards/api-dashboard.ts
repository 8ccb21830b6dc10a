/** The API dashboard: requests, latency per route, the coalescing producer, cache reads, replica lag, rate limiting, dependencies, process. */
import { floodgateDashboard, quantiles, row, stat, timeseries } from './panel-kit';

export const apiDashboard = floodgateDashboard('floodgate-api', 'Floodgate / API', 'The HTTP ingress and read API (services/api).')
  .withRow(row('Requests'))
  .withPanel(
    timeseries(
      'Requests by route and status',
      [{ expr: 'sum by (route, status) (rate(http_requests_total[$__rate_interval]))', legend: '{{route}} {{status}}' }],
      {
        description: 'HTTP requests per second by route template and status code.',
        unit: 'reqps',
      },
    ),
  )
  .withPanel(
    timeseries(
      'p99 latency by route',
      [{ expr: 'histogram_quantile(0.99, sum by (route, le) (rate(http_request_duration_seconds_bucket[$__rate_interval])))', legend: '{{route}}' }],
      {
        description: 'The slowest 1% of requests per route template.',
        unit: 's',
      },
    ),
  )
  .withRow(row('Ingest and the Kafka producer'))
  .withPanel(
    timeseries('Events by outcome', [{ expr: 'sum by (outcome) (rate(floodgate_ingest_events_total[$__rate_interval]))', legend: '{{outcome}}' }], {
      description: 'accepted = acknowledged by Kafka; rejected = invalid or forbidden; unavailable = 503, not written; undetermined = 503 after a timeout.',
      unit: 'reqps',
      width: 6,
    }),
  )
  .withPanel(
    timeseries('Producer send duration', quantiles('floodgate_producer_send_duration_seconds'), {
      description: 'Time from sendBatch to the broker acknowledgement (acks=all).',
      unit: 's',
      width: 6,
    }),
  )
  .withPanel(
    timeseries(
      'Producer batches and events in flight',
      [
        { expr: 'sum(rate(floodgate_ingest_batches_total[$__rate_interval]))', legend: 'batches/s' },
        { expr: 'sum(floodgate_producer_inflight_events)', legend: 'in flight' },
      ],
      { description: 'Kafka sendBatch calls per second, and events accepted into memory but not yet acknowledged or failed.', unit: 'short', width: 6 },
    ),
  )
  .withPanel(
    timeseries(
      'Requests per Kafka send',
      [
        { expr: 'histogram_quantile(0.5, sum by (le) (rate(floodgate_ingest_batch_requests_bucket[$__rate_interval])))', legend: 'p50' },
        { expr: 'histogram_quantile(0.99, sum by (le) (rate(floodgate_ingest_batch_requests_bucket[$__rate_interval])))', legend: 'p99' },
      ],
      {
        description:
          'HTTP requests whose events were coalesced into one sendBatch. Each request keeps its own trace: its messages are produced in its context, whichever request the batch started with.',
        unit: 'short',
        width: 6,
      },
    ),
  )
  .withRow(row('Reads, rate limit, dependencies'))
  .withPanel(
    timeseries('Device reads by cache result', [{ expr: 'sum by (result) (rate(floodgate_cache_requests_total[$__rate_interval]))', legend: '{{result}}' }], {
      description: 'GET /v1/devices/{id}: hit = Redis, miss = PostgreSQL replica then cached.',
      unit: 'reqps',
      width: 6,
    }),
  )
  .withPanel(
    stat('Rate limit degraded', [{ expr: 'max(floodgate_rate_limit_degraded)', legend: 'degraded' }], {
      description: '1 while Redis is unreachable and each API process limits on its own.',
      unit: 'bool',
      width: 6,
      height: 8,
    }),
  )
  .withPanel(
    timeseries('Dependencies up', [{ expr: 'min by (dependency) (floodgate_dependency_up)', legend: '{{dependency}}' }], {
      description: 'Whether the last probe of Kafka, PostgreSQL and Redis succeeded (lowest across API pods).',
      unit: 'bool',
      width: 6,
      min: 0,
      max: 1,
    }),
  )
  .withPanel(
    timeseries('Read replica lag', [{ expr: 'max by (instance) (floodgate_db_replica_lag_seconds)', legend: '{{instance}}' }], {
      description:
        'How far the PostgreSQL replica each API process reads from is behind the primary, measured on the replica (0 when caught up; no data when reads go to the primary). FloodgateReplicaLagHigh fires above 30 s.',
      unit: 's',
      width: 6,
      min: 0,
    }),
  )
  .withRow(row('Process'))
  .withPanel(
    timeseries('CPU', [{ expr: 'sum by (instance) (rate(process_cpu_seconds_total{job=~".*api.*"}[$__rate_interval]))', legend: '{{instance}}' }], {
      description: 'CPU seconds per second per API process.',
      unit: 'percentunit',
      width: 8,
    }),
  )
  .withPanel(
    timeseries('Resident memory', [{ expr: 'sum by (instance) (process_resident_memory_bytes{job=~".*api.*"})', legend: '{{instance}}' }], {
      description: 'Resident set size per API process.',
      unit: 'bytes',
      width: 8,
    }),
  )
  .withPanel(
    timeseries('Event-loop lag p99', [{ expr: 'max by (instance) (nodejs_eventloop_lag_p99_seconds{job=~".*api.*"})', legend: '{{instance}}' }], {
      description: 'A busy event loop delays every request on the process.',
      unit: 's',
      width: 8,
    }),
  );
