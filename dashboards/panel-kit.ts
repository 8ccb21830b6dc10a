/**
 * The few panel shapes every Floodgate dashboard is built from (time series and stat over Prometheus), so
 * the dashboards read as a list of questions and queries, and every panel queries the chosen data source.
 */
import { DashboardBuilder, DashboardCursorSync, DatasourceVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

export const datasource = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend?: string;
}

const refIds = 'ABCDEFGHIJ';

function targets(queries: Query[]) {
  return queries.map((q, i) => {
    const target = new DataqueryBuilder().expr(q.expr).refId(refIds[i]!).datasource(datasource);
    return q.legend ? target.legendFormat(q.legend) : target;
  });
}

export interface PanelOptions {
  description: string;
  unit: string;
  width?: number;
  height?: number;
  min?: number;
  max?: number;
}

export function timeseries(title: string, queries: Query[], options: PanelOptions): cog.Builder<dashboard.Panel> {
  let panel = new TimeseriesPanelBuilder()
    .title(title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 12)
    .height(options.height ?? 8)
    .fillOpacity(10)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom));
  if (options.min !== undefined) panel = panel.min(options.min);
  if (options.max !== undefined) panel = panel.max(options.max);
  for (const target of targets(queries)) panel = panel.withTarget(target);
  return panel;
}

export function stat(title: string, queries: Query[], options: PanelOptions): cog.Builder<dashboard.Panel> {
  let panel = new StatPanelBuilder()
    .title(title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 6)
    .height(options.height ?? 4);
  for (const target of targets(queries)) panel = panel.withTarget(target);
  return panel;
}

export function row(title: string): RowBuilder {
  return new RowBuilder(title);
}

/** A dashboard with the shared settings: Prometheus picked by a variable, shared crosshair, UTC, 30 s refresh. */
export function floodgateDashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['floodgate', 'generated'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('utc')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
}

/** Latency quantiles of one Prometheus histogram, as three series. */
export function quantiles(histogram: string, selector = '', by = ''): Query[] {
  const group = by ? `${by}, le` : 'le';
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${group}) (rate(${histogram}_bucket${selector}[$__rate_interval])))`,
    legend: `p${Math.round(q * 100)}${by ? ` {{${by}}}` : ''}`,
  }));
}
