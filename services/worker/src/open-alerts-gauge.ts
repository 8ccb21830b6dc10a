/**
 * `floodgate_alerts_open{severity, metric}`: the device alerts open right now, as stored in PostgreSQL.
 *
 * Why a count read from the database on scrape, and not a number kept from the transitions this process made:
 * alerts are opened and resolved by whichever worker holds the device's partition, partitions move between
 * replicas on every rebalance, and an operator's ack or a rule deletion changes alerts outside any worker. A
 * per-replica in-memory count would be each replica's share of history, wrong after the first rebalance or
 * restart, and only correct if summed over exactly the replicas alive since the beginning. The table is the
 * truth, so every replica reports the same global count (cached for a few seconds, one cheap grouped count over
 * the open alerts, which the partial index on open alerts keeps small). Aggregate it with max, never sum: the
 * recording rule floodgate:alerts_open:max does that, and the dashboards read it.
 *
 * Labels are bounded: severity is one of three, metric is an alert rule's metric (rules are admin-defined; device
 * ids never appear). Every (metric, severity) level of an enabled rule is reported, with 0 when nothing is open,
 * so "no alerts" is a zero and not a missing series.
 */
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Logger } from '@floodgate/config';
import { registerQueryGauge, type QueryGauge } from '@floodgate/telemetry/src/query-gauge';

export const openAlertsQuery = `
SELECT metric, severity, sum(n)::float8 AS open
  FROM (SELECT metric, severity, count(*) AS n FROM alerts WHERE status = 'open' GROUP BY metric, severity
        UNION ALL
        SELECT r.metric, l.level ->> 'severity', 0 FROM alert_rules r CROSS JOIN LATERAL jsonb_array_elements(r.levels) AS l(level) WHERE r.enabled) counts
 WHERE severity IS NOT NULL
 GROUP BY metric, severity
 ORDER BY metric, severity`;

export interface OpenAlertsGaugeOptions {
  /** How long one count serves scrapes (default 5 s). */
  maxAgeMs?: number;
  timeoutMs?: number;
}

export function registerOpenAlertsGauge(registry: Registry, pool: pg.Pool, log: Logger, options: OpenAlertsGaugeOptions = {}): QueryGauge {
  return registerQueryGauge({
    registry,
    name: 'floodgate_alerts_open',
    help: 'Device alerts open now, by severity and rule metric, counted in PostgreSQL (the same global value from every worker replica: aggregate with max, not sum)',
    labelNames: ['severity', 'metric'] as const,
    read: async () => {
      const { rows } = await pool.query<{ metric: string; severity: string; open: number }>(openAlertsQuery);
      return rows.map((r) => ({ labels: { severity: r.severity, metric: r.metric }, value: r.open }));
    },
    onError: (err) => log.warn({ err: err.message }, 'could not count open alerts for floodgate_alerts_open'),
    ...options,
  });
}
