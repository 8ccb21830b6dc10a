/** The worker dashboard: throughput by outcome, batches, end-to-end latency, retries, DLQ, cache writes, alerts, notifier. */
import { floodgateDashboard, quantiles, row, timeseries } from './panel-kit';

export const workerDashboard = floodgateDashboard('floodgate-worker', 'Floodgate / Worker', 'The Kafka consumer (services/worker) and the alert notifier.')
  .withRow(row('Throughput'))
  .withPanel(
    timeseries(
      'Events processed by outcome',
      [{ expr: 'sum by (outcome) (rate(floodgate_worker_events_processed_total[$__rate_interval]))', legend: '{{outcome}}' }],
      {
        description: 'stored = new reading committed; duplicate = redelivery already stored; dead_lettered = sent to the DLQ.',
        unit: 'reqps',
        width: 8,
      },
    ),
  )
  .withPanel(
    timeseries('End-to-end latency', quantiles('floodgate_end_to_end_latency_seconds'), {
      description: 'From the API accepting an event to the worker committing it to PostgreSQL.',
      unit: 's',
      width: 8,
    }),
  )
  .withPanel(
    timeseries(
      'Batch size and duration',
      [
        { expr: 'histogram_quantile(0.5, sum by (le) (rate(floodgate_worker_batch_size_bucket[$__rate_interval])))', legend: 'size p50' },
        { expr: 'histogram_quantile(0.99, sum by (le) (rate(floodgate_worker_batch_duration_seconds_bucket[$__rate_interval])))', legend: 'duration p99 (s)' },
      ],
      { description: 'Messages per Kafka batch, and the time from receiving a batch to committing its offsets (retries included).', unit: 'short', width: 8 },
    ),
  )
  .withRow(row('Failures'))
  .withPanel(
    timeseries('Retries by reason', [{ expr: 'sum by (reason) (rate(floodgate_worker_retries_total[$__rate_interval])) or vector(0)', legend: '{{reason}}' }], {
      description: 'Batches retried with backoff because a dependency failed transiently (never dead-lettered). Zero when healthy.',
      unit: 'reqps',
      width: 12,
      min: 0,
    }),
  )
  .withPanel(
    timeseries('Dead-lettered messages', [{ expr: 'sum by (topic) (rate(floodgate_dlq_messages_total[$__rate_interval]))', legend: '{{topic}}' }], {
      description: 'Messages that can never succeed, moved to the dead-letter topic with the error in headers.',
      unit: 'reqps',
      width: 12,
      min: 0,
    }),
  )
  .withRow(row('Cache, alerts, notifier'))
  .withPanel(
    timeseries('Cache writes by result', [{ expr: 'sum by (result) (rate(floodgate_cache_writes_total[$__rate_interval]))', legend: '{{result}}' }], {
      description: 'written = the device state moved forward; stale = a newer state was already cached (compare-and-set refused).',
      unit: 'reqps',
      width: 6,
    }),
  )
  .withPanel(
    timeseries('Open device alerts', [{ expr: 'sum by (metric, severity) (floodgate:alerts_open:max)', legend: '{{metric}} {{severity}}' }], {
      description:
        'Alerts open now by rule metric and severity, counted in PostgreSQL (floodgate_alerts_open; every replica reports the same count, so the recording rule takes the max).',
      unit: 'short',
      width: 6,
      min: 0,
    }),
  )
  .withPanel(
    timeseries(
      'Alert transitions',
      [{ expr: 'sum by (kind, severity) (rate(floodgate_alerts_transitions_total[$__rate_interval]))', legend: '{{kind}} {{severity}}' }],
      {
        description: 'Device alerts opened, escalated and resolved per second.',
        unit: 'reqps',
        width: 6,
      },
    ),
  )
  .withPanel(
    timeseries(
      'Webhook deliveries by outcome',
      [{ expr: 'sum by (outcome) (rate(floodgate_notifier_deliveries_total[$__rate_interval]))', legend: '{{outcome}}' }],
      {
        description: 'Alert notifications delivered to webhooks by the notifier.',
        unit: 'reqps',
        width: 6,
      },
    ),
  );
