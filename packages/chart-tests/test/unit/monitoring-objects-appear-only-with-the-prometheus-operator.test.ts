/**
 * ServiceMonitors, PodMonitors and the PrometheusRule render only when the cluster serves monitoring.coreos.com/v1
 * (helm's .Capabilities), so the charts install on a cluster without the Prometheus operator; when it is there,
 * every component of every chart is scraped.
 */
import { render } from '../../src/charts';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

const monitoringKinds = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'];

test('without the Prometheus operator no chart renders a monitoring object', async () => {
  for (const chart of ['floodgate', 'floodgate-kafka', 'floodgate-postgres', 'floodgate-redis', 'floodgate-platform'] as const) {
    const kinds = (await render(chart, { monitoring: false })).map((o) => o.kind);
    expect({ chart, monitoring: kinds.filter((k) => monitoringKinds.includes(k)) }).toEqual({ chart, monitoring: [] });
  }
});

test('with it, the platform scrapes the API, worker, operator, brokers, Kafka Exporter, PostgreSQL, poolers and Redis, and ships the alerts of the app, Kafka and PostgreSQL', async () => {
  const monitors = (await render('floodgate-platform')).filter((o) => monitoringKinds.includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`);
  expect(monitors.sort()).toEqual(
    [
      'PodMonitor/floodgate-kafka-exporter',
      'PodMonitor/floodgate-kafka-kafka',
      'PodMonitor/floodgate-operator',
      'PodMonitor/floodgate-postgres',
      'PodMonitor/floodgate-postgres-pooler-ro',
      'PodMonitor/floodgate-postgres-pooler-rw',
      'PodMonitor/floodgate-worker',
      'PrometheusRule/floodgate-kafka-rules',
      'PrometheusRule/floodgate-postgres-rules',
      'PrometheusRule/floodgate-rules',
      'ServiceMonitor/floodgate-api',
      'ServiceMonitor/floodgate-redis',
    ].sort(),
  );
});

test('monitoring.enabled=false turns the monitors off even where the operator exists', async () => {
  const kinds = (await render('floodgate', { set: { 'monitoring.enabled': false } })).map((o) => o.kind);
  expect(kinds.filter((k) => monitoringKinds.includes(k))).toEqual([]);
});
