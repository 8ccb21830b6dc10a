/** Reads traces back from Jaeger's query API (the JSON API its UI uses), waiting for the collector's batch to land. */

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

export function jaegerUrl(): string {
  const url = process.env.FLOODGATE_JAEGER_QUERY_URL;
  if (!url) throw new Error('FLOODGATE_JAEGER_QUERY_URL is not set: the stack has no jaeger server');
  return url;
}

export async function getTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${jaegerUrl()}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET /api/traces/${traceId}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

/** Polls until the trace exists and `done(trace)` holds (spans of one trace arrive from several processes). */
export async function waitForTrace(traceId: string, done: (t: JaegerTrace) => boolean = () => true, timeoutMs = 30000): Promise<JaegerTrace> {
  const deadline = Date.now() + timeoutMs;
  let last: JaegerTrace | undefined;
  while (Date.now() < deadline) {
    last = await getTrace(traceId);
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `trace ${traceId} not complete in Jaeger after ${timeoutMs} ms; spans seen: ${last ? last.spans.map((s) => s.operationName).join(', ') : 'none'}`,
  );
}

export function serviceOf(t: JaegerTrace, span: JaegerSpan): string {
  return t.processes[span.processID]?.serviceName ?? '';
}

export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

export function tag(span: { tags: { key: string; value: unknown }[] }, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}
