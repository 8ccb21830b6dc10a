/** PromQL against the local Prometheus, and the metric names an expression reads (for "does its input exist" checks). */

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function instantQuery(expr: string): Promise<Sample[]> {
  const url = process.env.FLOODGATE_PROMETHEUS_URL;
  if (!url) throw new Error('FLOODGATE_PROMETHEUS_URL is not set: the stack has no prometheus server');
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] | [number, string] } };
  if (body.status !== 'success') throw new Error(`PromQL error for ${expr}: ${body.error}`);
  // A scalar result (e.g. a bare number) counts as one sample.
  if (body.data?.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
  return body.data?.result as Sample[];
}

/** Grafana's interval variables, replaced the way Grafana would for a short range at a 1 s scrape interval. */
export function withGrafanaVariables(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '1m').replace(/\$__range/g, '10m');
}

const notMetrics = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric (and recorded series) names selected by an expression: label matchers, ranges, groupings and functions removed. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)].filter((m) => !m[2] && !notMetrics.has(m[1]!.toLowerCase())).map((m) => m[1]!);
  return [...new Set(names)];
}
