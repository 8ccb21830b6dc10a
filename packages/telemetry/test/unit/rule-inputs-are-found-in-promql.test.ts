import { metricNames, withGrafanaVariables } from '../support/promql';

// The e2e "every panel and rule returns data" test relies on this extraction: it must find every input and nothing else.
describe('metric names read by a PromQL expression', () => {
  it.each([
    ['sum by (outcome) (rate(floodgate_ingest_events_total[5m]))', ['floodgate_ingest_events_total']],
    [
      'floodgate:ingest_5xx_ratio:rate5m > 0.05 and floodgate:ingest_requests:rate5m > 0.1',
      ['floodgate:ingest_5xx_ratio:rate5m', 'floodgate:ingest_requests:rate5m'],
    ],
    [
      'x > 1000 and on (namespace, lagscaler) (floodgate_operator_desired_replicas == floodgate_operator_current_replicas) and on (namespace) changes(y[15m]) == 0',
      ['x', 'floodgate_operator_desired_replicas', 'floodgate_operator_current_replicas', 'y'],
    ],
    ['(sum(rate(a_total{status=~"5..", route="/v1/events"}[5m])) or vector(0)) / sum(rate(a_total[5m]))', ['a_total']],
    ['histogram_quantile(0.99, sum by (le) (rate(h_bucket{le="0.25"}[1h])))', ['h_bucket']],
  ])('%s', (expr, expected) => {
    expect(metricNames(expr)).toEqual(expected);
  });

  it('replaces Grafana interval variables', () => {
    expect(withGrafanaVariables('rate(x[$__rate_interval]) + increase(y[$__range])')).toBe('rate(x[1m]) + increase(y[10m])');
  });
});
