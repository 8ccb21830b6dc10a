/**
 * W3C trace context across Kafka. The kafkajs instrumentation already injects `traceparent` on every
 * `send` and, for `eachMessage` consumers, parents the consumer span on it. Two gaps remain, and these
 * helpers fill them:
 * - a producer that coalesces requests sends later, from a timer, under whichever context is active then;
 *   `injectTraceHeaders()` captures the request's context when the message is built;
 * - an `eachBatch` consumer only gets links (one batch, many traces), so database and cache work done for
 *   a message lands in a trace of its own; `withExtractedContext(headers, fn)` runs that work as a child
 *   of the producer's span, in the device's trace.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type TextMapGetter } from '@opentelemetry/api';

export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** Kafka header values as kafkajs hands them over: Buffer, string, arrays of them, or undefined. */
export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined;

const kafkaHeaderGetter: TextMapGetter<KafkaHeaders> = {
  keys: (carrier) => (carrier ? Object.keys(carrier) : []),
  get: (carrier, key) => {
    if (!carrier) return undefined;
    const name = Object.keys(carrier).find((k) => k.toLowerCase() === key);
    const raw = name === undefined ? undefined : carrier[name];
    const first = Array.isArray(raw) ? raw[0] : raw;
    return first === undefined ? undefined : first.toString();
  },
};

/** The active context as message headers ({} when there is no sampled-or-not span to continue). */
export function injectTraceHeaders(ctx: Context = context.active()): TraceHeaders {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const headers: TraceHeaders = {};
  if (carrier.traceparent) headers.traceparent = carrier.traceparent;
  if (carrier.tracestate) headers.tracestate = carrier.tracestate;
  return headers;
}

/** The remote context carried by a message's headers (ROOT_CONTEXT-based: never the batch's own span). */
export function extractTraceContext(headers: KafkaHeaders): Context {
  return propagation.extract(ROOT_CONTEXT, headers, kafkaHeaderGetter);
}

export interface ProcessSpanOptions {
  /** The topic the message came from, for the span name `process <topic>`. */
  topic?: string;
  partition?: number;
  offset?: string;
}

/**
 * Runs `fn` inside a `process <topic>` consumer span whose parent is the producer span named in the
 * headers, linked to the span active now (the batch's receive span), so the batch stays reachable too.
 */
export async function withExtractedContext<T>(headers: KafkaHeaders, fn: () => Promise<T> | T, options: ProcessSpanOptions = {}): Promise<T> {
  const parent = extractTraceContext(headers);
  const batchSpan = trace.getActiveSpan()?.spanContext();
  const tracer = trace.getTracer('@floodgate/telemetry');
  const attributes: Record<string, string> = { 'messaging.system': 'kafka', 'messaging.operation.type': 'process' };
  if (options.topic) attributes['messaging.destination.name'] = options.topic;
  if (options.partition !== undefined) attributes['messaging.destination.partition.id'] = String(options.partition);
  if (options.offset !== undefined) attributes['messaging.kafka.offset'] = options.offset;
  const span = tracer.startSpan(
    `process ${options.topic ?? 'message'}`,
    { kind: SpanKind.CONSUMER, attributes, links: batchSpan && trace.isSpanContextValid(batchSpan) ? [{ context: batchSpan }] : [] },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
