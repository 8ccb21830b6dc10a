/**
 * A client span around work that no auto-instrumentation sees: the pg instrumentation traces `client.query(text)`
 * but not a COPY streamed through pg-copy-streams, which would leave the biggest write of a batch out of the trace.
 * Attributes follow the OpenTelemetry database conventions (`db.system.name`, `db.query.text`) so the span sits
 * with the other PostgreSQL spans in Jaeger. Costs nothing measurable when tracing is off (a no-op tracer).
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@floodgate/telemetry');

export async function withClientSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
