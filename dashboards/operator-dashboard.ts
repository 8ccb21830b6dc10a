/** The operator dashboard: what it measured, what it decided, whether it keeps reconciling, and its API traffic. */
import { floodgateDashboard, row, stat, timeseries } from './panel-kit';

export const operatorDashboard = floodgateDashboard('floodgate-operator', 'Floodgate / Operator', 'The LagScaler controller (operator/).')
  .withRow(row('Measure and decide'))
  .withPanel(
    timeseries('Lag per LagScaler', [{ expr: 'sum by (namespace, lagscaler) (floodgate_operator_lag_messages)', legend: '{{namespace}}/{{lagscaler}}' }], {
      description: 'Total lag of the consumer group as the operator measured it.',
      unit: 'short',
      width: 8,
    }),
  )
  .withPanel(
    timeseries('Lag per partition', [{ expr: 'sum by (topic, partition) (floodgate_operator_partition_lag_messages)', legend: '{{topic}}/{{partition}}' }], {
      description: 'Lag per partition of the watched topics.',
      unit: 'short',
      width: 8,
    }),
  )
  .withPanel(
    timeseries(
      'Desired vs current replicas',
      [
        { expr: 'sum by (lagscaler) (floodgate_operator_desired_replicas)', legend: 'desired {{lagscaler}}' },
        { expr: 'sum by (lagscaler) (floodgate_operator_current_replicas)', legend: 'current {{lagscaler}}' },
      ],
      { description: 'What the decision asked for and what the scale target has.', unit: 'short', width: 8, min: 0 },
    ),
  )
  .withPanel(
    timeseries(
      'Scaling decisions',
      [
        {
          expr: 'sum by (direction, applied) (rate(floodgate_operator_scaling_decisions_total[$__rate_interval]))',
          legend: '{{direction}} applied={{applied}}',
        },
      ],
      {
        description: 'Decisions per second by direction and whether they were applied (stabilization windows hold some back).',
        unit: 'reqps',
        width: 12,
      },
    ),
  )
  .withPanel(
    stat('Leader', [{ expr: 'sum(floodgate_operator_leader)', legend: 'leaders' }], {
      description: 'Instances holding the Lease: 1 is healthy, 0 means nobody reconciles.',
      unit: 'short',
      width: 12,
      height: 8,
    }),
  )
  .withRow(row('Reconcile'))
  .withPanel(
    timeseries(
      'Reconciles and errors',
      [
        { expr: 'sum(rate(floodgate_operator_reconciles_total[$__rate_interval]))', legend: 'reconciles' },
        { expr: 'sum by (reason) (rate(floodgate_operator_reconcile_errors_total[$__rate_interval])) or vector(0)', legend: 'errors {{reason}}' },
      ],
      { description: 'Reconciles per second while leading, and those that ended in an error.', unit: 'reqps', width: 8 },
    ),
  )
  .withPanel(
    timeseries(
      'Reconcile duration p99',
      [{ expr: 'histogram_quantile(0.99, sum by (le) (rate(floodgate_operator_reconcile_duration_seconds_bucket[$__rate_interval])))', legend: 'p99' }],
      { description: 'One reconcile: measure lag, decide, patch the scale subresource, write status.', unit: 's', width: 8 },
    ),
  )
  .withPanel(
    timeseries(
      'Kubernetes API requests',
      [
        {
          expr: 'sum by (verb, resource, code) (rate(floodgate_operator_kube_api_requests_total[$__rate_interval]))',
          legend: '{{verb}} {{resource}} {{code}}',
        },
      ],
      {
        description: 'Requests to the Kubernetes API by verb, resource and status code.',
        unit: 'reqps',
        width: 8,
      },
    ),
  );
