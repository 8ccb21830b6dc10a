/**
 * W3C trace context for the events of one ingest request. With the OpenTelemetry preload
 * (@floodgate/telemetry) the request's server span is active and its context goes into the
 * headers; without it, the caller's `traceparent` is continued (or a trace started), so every
 * Kafka message still carries headers the worker can join.
 */
import crypto from 'node:crypto';
import { trace } from '@opentelemetry/api';
// The helper only, not the package index: the index loads the OpenTelemetry SDK, which the register preload loads when tracing is on.
import { injectTraceHeaders } from '@floodgate/telemetry/src/kafka-trace-context';

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext {
  traceId: string;
  spanId: string;
  headers: Record<string, string>;
}

// Random ids come from a pooled buffer: one getrandom call per 512 ids instead of two per request.
let pool = Buffer.alloc(0);
let offset = 0;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = crypto.randomBytes(4096);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}

export function ingestTraceContext(incoming: string | undefined, tracestate: string | undefined): TraceContext {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && trace.isSpanContextValid(active)) {
    const injected = injectTraceHeaders();
    if (injected.traceparent) return { traceId: active.traceId, spanId: active.spanId, headers: { ...injected } as Record<string, string> };
  }
  const match = incoming ? traceparentPattern.exec(incoming.trim()) : null;
  const valid = match && !/^0+$/.test(match[1]!) && !/^0+$/.test(match[2]!);
  const traceId = valid ? match[1]! : randomHex(16);
  const flags = valid ? match[3]! : '01';
  const spanId = randomHex(8);
  const headers: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-${flags}` };
  if (valid && tracestate && tracestate.length <= 512) headers.tracestate = tracestate;
  return { traceId, spanId, headers };
}
