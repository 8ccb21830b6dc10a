/**
 * W3C trace context across Kafka. The kafkajs instrumentation injects `traceparent` on every `send` and, for
 * `eachMessage` consumers, parents the consumer span on it. Three gaps remain, and these helpers fill them:
 * - a producer that coalesces the messages of many requests into one `sendBatch` would have every message's
 *   produce span parented on (and every header pointing into) whichever request's context is active at send time;
 *   `sendInContext(message, ctx)` pins each message to its own request's context (the instrumentation from
 *   `floodgateInstrumentations()` honours it), so every request's trace continues through Kafka;
 * - a message built now and sent later can carry the context it was built in: `injectTraceHeaders()`;
 * - an `eachBatch` consumer only gets links (one batch, many traces), so database and cache work done for
 *   a message lands in a trace of its own; `withExtractedContext(headers, fn)` runs that work as a child
 *   of the producer's span, in the device's trace, and `withBatchContext(messages, fn)` does it for work shared
 *   by a whole batch, giving every other trace in the batch its own consumer span linked to that work.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context, type TextMapGetter } from '@opentelemetry/api';

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
    // Header names compared without case, as before, but without an array of the names and a lower-cased copy of each
    // per message: a batch's consumer asks this once for each of thousands of messages, most with no such header.
    let name: string | undefined;
    for (const k in carrier) {
      if (k === key || (k.length === key.length && k.toLowerCase() === key)) {
        name = k;
        break;
      }
    }
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

/**
 * Where a message's own producer context rides along: a symbol-keyed property, which kafkajs never serializes (it
 * encodes key, value, headers and timestamp by name) and JSON and Object.keys skip. `Symbol.for`, not a module-level
 * WeakMap, because an image runs two bundles (the service and the tracing preload), each with its own copy of this
 * module, and both must see the same binding. A plain assignment: several times cheaper than defineProperty, which
 * matters at thousands of messages per send.
 */
const producerContextKey = Symbol.for('@floodgate/telemetry/kafka-producer-context');

export interface ProducerContext {
  /** The context the message's produce span is started in (its parent), e.g. the HTTP request's. */
  ctx: Context;
  /** Added to the message's produce span, e.g. how many requests were coalesced into the send. */
  attributes?: Attributes;
}

/**
 * Pins a message (or each of several, e.g. one request's) to `ctx`: when it is sent, alone or in a `sendBatch` with
 * other requests' messages, its produce span is a child of `ctx` and its `traceparent` header names that span,
 * whatever context is active at send time. Returns what it was given. Inert without tracing (or with another
 * kafkajs instrumentation than `floodgateInstrumentations()`'s).
 */
export function sendInContext<M extends object>(messages: M, ctx: Context, attributes?: Attributes): M {
  const pinned: ProducerContext = attributes ? { ctx, attributes } : { ctx };
  if (Array.isArray(messages)) for (const m of messages as object[]) (m as Record<symbol, ProducerContext>)[producerContextKey] = pinned;
  else (messages as Record<symbol, ProducerContext>)[producerContextKey] = pinned;
  return messages;
}

/** The context `sendInContext` pinned `message` to, if any. */
export function producerContextOf(message: object | null | undefined): ProducerContext | undefined {
  if (!message) return undefined;
  return (message as Record<symbol, ProducerContext | undefined>)[producerContextKey];
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

/** A consumed message as kafkajs hands it to eachBatch (only what tracing needs). */
export interface TracedMessage {
  headers?: KafkaHeaders;
  offset?: string;
}

/**
 * For work done once for a whole batch (one transaction for many messages, from many device requests): runs `fn` in
 * the first traced message's trace, exactly as `withExtractedContext`, and gives every other trace in the batch a
 * `process <topic>` span of its own, a child of that message's producer span, linked to the span the work ran under
 * and ended (with its outcome) when the work ends. A request whose events shared a batch with other requests' thus
 * still shows in its own trace that, and when, the worker processed them, and links to the trace holding the batch's
 * database and cache spans (a span has one parent, so those cannot be in every trace).
 */
export async function withBatchContext<T>(messages: readonly TracedMessage[], fn: () => Promise<T> | T, options: ProcessSpanOptions = {}): Promise<T> {
  // Grouped by the trace id in the raw header (a batch holds thousands of messages and few traces): only the first
  // message of each trace is parsed into a context.
  const firstOfTrace = new Map<string, TracedMessage>();
  for (const m of messages) {
    const traceparent = kafkaHeaderGetter.get(m.headers, 'traceparent');
    const traceId = (Array.isArray(traceparent) ? traceparent[0] : traceparent)?.slice(3, 35);
    if (traceId && !firstOfTrace.has(traceId)) firstOfTrace.set(traceId, m);
  }
  const [lead, ...others] = [...firstOfTrace.values()];
  if (!lead || others.length === 0)
    return withExtractedContext(lead?.headers ?? messages[0]?.headers, fn, { ...options, offset: lead?.offset ?? options.offset });
  return withExtractedContext(
    lead.headers,
    async () => {
      const batchWork = trace.getActiveSpan()?.spanContext();
      const tracer = trace.getTracer('@floodgate/telemetry');
      const spans = others.map((m) => {
        const attributes: Record<string, string> = { 'messaging.system': 'kafka', 'messaging.operation.type': 'process' };
        if (options.topic) attributes['messaging.destination.name'] = options.topic;
        if (options.partition !== undefined) attributes['messaging.destination.partition.id'] = String(options.partition);
        if (m.offset !== undefined) attributes['messaging.kafka.offset'] = m.offset;
        return tracer.startSpan(
          `process ${options.topic ?? 'message'}`,
          { kind: SpanKind.CONSUMER, attributes, links: batchWork && trace.isSpanContextValid(batchWork) ? [{ context: batchWork }] : [] },
          extractTraceContext(m.headers),
        );
      });
      try {
        return await fn();
      } catch (err) {
        for (const s of spans) s.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        for (const s of spans) s.end();
      }
    },
    { ...options, offset: lead.offset ?? options.offset },
  );
}
