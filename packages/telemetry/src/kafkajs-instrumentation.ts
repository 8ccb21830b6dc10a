/**
 * The kafkajs instrumentation, made to respect a context that the application pinned to a message.
 *
 * Stock @opentelemetry/instrumentation-kafkajs (0.33) starts one `send <topic>` span per message in `send` and
 * `sendBatch`, always as a child of the context active at the call, and then overwrites the message's `traceparent`
 * header with it. A producer that coalesces many HTTP requests into one `sendBatch` (the API's BatchingProducer) can
 * only have one active context, so every message ended up in the first request's trace and the other requests'
 * traces stopped at the API. There is no hook before the span starts (`producerHook` runs after the injection), so
 * this subclass wraps the instance's `_startProducerSpan(topic, message, client)`: a message pinned with
 * `sendInContext(message, ctx)` gets its span started inside `ctx`, so the span's parent and the injected header
 * are the message's own request. Unpinned messages behave exactly as before. The messaging semantic conventions
 * ask for this too: instrumentations must not override a context the application associated with a message
 * (open-telemetry/opentelemetry-specification#2709).
 *
 * It also gives a message whose headers are frozen (shared by the messages of one request) its own copy before the
 * instrumentation writes the message's `traceparent` into them.
 *
 * `_startProducerSpan` is internal to the instrumentation; the dependency is pinned to 0.33.x and the unit test
 * `coalesced-kafka-messages-keep-their-own-trace` fails if an upgrade renames or reshapes it.
 */
import { context, diag, type Span } from '@opentelemetry/api';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import type { KafkaJsInstrumentationConfig } from '@opentelemetry/instrumentation-kafkajs';
import { producerContextOf } from './kafka-trace-context';

type StartProducerSpan = (this: unknown, topic: string, message: object, kafkaClient: unknown) => Span;

export class FloodgateKafkaJsInstrumentation extends KafkaJsInstrumentation {
  /** False if this version of the instrumentation has no `_startProducerSpan` to wrap (pinned contexts are then ignored). */
  readonly respectsPinnedContexts: boolean;

  constructor(config: KafkaJsInstrumentationConfig = {}) {
    super(config);
    this.respectsPinnedContexts = pinProducerSpansToMessageContexts(this);
  }
}

function pinProducerSpansToMessageContexts(instrumentation: KafkaJsInstrumentation): boolean {
  const target = instrumentation as unknown as { _startProducerSpan?: StartProducerSpan };
  const original = target._startProducerSpan;
  if (typeof original !== 'function') {
    diag.error('@floodgate/telemetry: @opentelemetry/instrumentation-kafkajs has no _startProducerSpan; coalesced Kafka sends will carry one trace context');
    return false;
  }
  // An own property shadows the prototype method; the instrumentation's send/sendBatch patches call it through `this`.
  target._startProducerSpan = function startProducerSpan(this: unknown, topic: string, message: object, kafkaClient: unknown): Span {
    ownHeaders(message);
    const pinned = producerContextOf(message);
    if (!pinned) return original.call(this, topic, message, kafkaClient);
    const span = context.with(pinned.ctx, () => original.call(this, topic, message, kafkaClient));
    if (pinned.attributes) span.setAttributes(pinned.attributes);
    return span;
  };
  return true;
}

/**
 * The instrumentation writes each message's `traceparent` into `message.headers`. Frozen headers may be shared by many
 * messages (`@floodgate/events` gives the messages of one request one frozen object, which the patched kafkajs
 * encodes once): such a message gets its own unfrozen copy first, so the write neither throws nor reaches the
 * other messages.
 */
function ownHeaders(message: object): void {
  const m = message as { headers?: Record<string, unknown> };
  if (m.headers && Object.isFrozen(m.headers)) m.headers = { ...m.headers };
}
