/**
 * Which plots a scenario's result gets: a throughput bar chart per throughput unit (ceiling bars marked), a chart of
 * latency percentiles when rows have latencies, and a line chart when the scenario reports series over time.
 */
import type { ScenarioResult } from './scenario';
import { barChart, lineChart, percentileChart } from './svg';

export interface Plot {
  /** File name inside the run folder, e.g. "ingest-single.throughput.svg". */
  file: string;
  svg: string;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export function plotsFor(result: ScenarioResult): Plot[] {
  const plots: Plot[] = [];
  const withThroughput = result.rows.filter((r) => r.throughput);
  const units = [...new Set(withThroughput.map((r) => r.throughput!.unit))];
  for (const unit of units) {
    plots.push({
      file: `${result.scenario}.throughput${units.length > 1 ? `-${slug(unit)}` : ''}.svg`,
      svg: barChart({
        title: `${result.scenario}: throughput (${unit})`,
        unit,
        bars: withThroughput.filter((r) => r.throughput!.unit === unit).map((r) => ({ label: r.label, value: r.throughput!.value, ceiling: r.ceiling })),
      }),
    });
  }
  const withLatency = result.rows.filter((r) => r.latencyMs);
  if (withLatency.length > 0) {
    plots.push({
      file: `${result.scenario}.latency.svg`,
      svg: percentileChart({
        title: `${result.scenario}: latency percentiles`,
        rows: withLatency.map((r) => ({ label: r.label, ceiling: r.ceiling, p50: r.latencyMs!.p50, p90: r.latencyMs!.p90, p99: r.latencyMs!.p99 })),
      }),
    });
  }
  if (result.series?.some((s) => s.points.length > 0)) {
    plots.push({
      file: `${result.scenario}.series.svg`,
      svg: lineChart({ title: `${result.scenario}: over time`, series: result.series.filter((s) => s.points.length > 0) }),
    });
  }
  return plots;
}
