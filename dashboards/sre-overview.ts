/** The SRE overview: is data flowing from devices to the database, how fast, and is anything piling up. */
import { floodgateDashboard, quantiles, row, stat, timeseries } from './panel-kit';

export const sreOverview = floodgateDashboard(
  'floodgate-sre-overview',
  'Floodgate / SRE overview',
  'Ingest, latency against the SLO, Kafka lag and scaling, dead letters, cache and database, open device alerts, replica lag. Start here; per-service dashboards go deeper.',
)
  .withRow(row('Ingest'))
  .withPanel(
    timeseries('Ingest rate by outcome', [{ expr: 'sum by (outcome) (rate(floodgate_ingest_events_total[$__rate_interval]))', legend: '{{outcome}}' }], {
      description: 'Events per second at the API: accepted (acknowledged by Kafka), rejected (invalid), unavailable and undetermined (503).',
      unit: 'reqps',
      width: 8,
    }),
  )
  .withPanel(
    timeseries('Ingest 5xx ratio', [{ expr: 'floodgate:ingest_5xx_ratio:rate5m', legend: '5xx share' }], {
      description: 'Share of POST /v1/events answered 5xx over 5 minutes (recording rule). FloodgateIngestErrorsHigh fires above 5%.',
      unit: 'percentunit',
      width: 8,
      min: 0,
    }),
  )
  .withPanel(
    timeseries('Ingest latency p50 / p95 / p99', quantiles('http_request_duration_seconds', '{route="/v1/events"}'), {
      description: 'POST /v1/events duration at the API. The SLO: 99% within 250 ms.',
      unit: 's',
      width: 8,
    }),
  )
  .withRow(row('Kafka and scaling'))
  .withPanel(
    timeseries(
      'Kafka lag per partition',
      [
        // Strimzi's Kafka Exporter in a cluster; the operator's own measurement where there is no exporter (local stack).
        {
          expr: 'sum by (topic, partition) (kafka_consumergroup_lag{consumergroup="floodgate-worker"}) or sum by (topic, partition) (floodgate_operator_partition_lag_messages)',
          legend: '{{topic}}/{{partition}}',
        },
      ],
      { description: 'Messages of floodgate.events not yet processed by the floodgate-worker group, per partition.', unit: 'short', width: 12 },
    ),
  )
  .withPanel(
    timeseries(
      'Worker replicas vs desired',
      [
        { expr: 'sum by (lagscaler) (floodgate_operator_current_replicas)', legend: 'current {{lagscaler}}' },
        { expr: 'sum by (lagscaler) (floodgate_operator_desired_replicas)', legend: 'desired {{lagscaler}}' },
      ],
      { description: 'Replicas of the worker Deployment and what the LagScaler last decided.', unit: 'short', width: 12, min: 0 },
    ),
  )
  .withRow(row('Processing'))
  .withPanel(
    timeseries('Dead-letter rate', [{ expr: 'sum by (topic) (rate(floodgate_dlq_messages_total[$__rate_interval]))', legend: '{{topic}}' }], {
      description: 'Messages moved to a dead-letter topic per second. Anything above zero means readings that will not be stored until replayed.',
      unit: 'reqps',
      width: 8,
      min: 0,
    }),
  )
  .withPanel(
    timeseries(
      'Cache hit ratio',
      [
        {
          expr: 'sum(rate(floodgate_cache_requests_total{result="hit"}[$__rate_interval])) / sum(rate(floodgate_cache_requests_total[$__rate_interval]))',
          legend: 'hit ratio',
        },
      ],
      { description: 'Share of GET /v1/devices/{id} served from Redis rather than the PostgreSQL replica.', unit: 'percentunit', width: 8, min: 0, max: 1 },
    ),
  )
  .withPanel(
    timeseries('Database write rate', [{ expr: 'sum by (outcome) (rate(floodgate_worker_events_processed_total[$__rate_interval]))', legend: '{{outcome}}' }], {
      description: 'Events per second the workers committed to PostgreSQL (stored), found already stored (duplicate) or dead-lettered.',
      unit: 'reqps',
      width: 8,
    }),
  )
  .withRow(row('Device alerts and read replicas'))
  .withPanel(
    stat('Open device alerts', [{ expr: 'sum by (severity) (floodgate:alerts_open:max)', legend: '{{severity}}' }], {
      description: 'Device alerts open now, by severity, counted in PostgreSQL (floodgate_alerts_open, the same from every worker replica: max, not sum).',
      unit: 'short',
      width: 8,
      height: 8,
    }),
  )
  .withPanel(
    stat('Device alerts opened / resolved', [{ expr: 'sum by (kind) (increase(floodgate_alerts_transitions_total[$__range]))', legend: '{{kind}}' }], {
      description: 'Alert transitions (opened, escalated, resolved) raised by the workers in the selected time range.',
      unit: 'short',
      width: 8,
      height: 8,
    }),
  )
  .withPanel(
    timeseries('Read replica lag', [{ expr: 'floodgate:db_replica_lag_seconds:max', legend: '{{namespace}}' }], {
      description:
        "How far the PostgreSQL read replicas are behind the primary: CloudNativePG's cnpg_pg_replication_lag, or the API's own measurement on the replica it reads from. FloodgateReplicaLagHigh fires above 30 s.",
      unit: 's',
      width: 8,
      min: 0,
    }),
  );
