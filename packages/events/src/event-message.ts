/**
 * The Kafka form of an accepted event: key = deviceId (per-device order), value =
 * the event as JSON, headers = ingest time, schema version and trace context.
 * The worker decodes with `decodeEventMessage`; anything it cannot decode is a
 * poison message (permanent failure, dead-lettered).
 */
import { eventSchema, normalisedTime, payloadAsSent, plainlyValidEvent, type DeviceEvent, type EventInput } from './event-schema';

export const SCHEMA_VERSION = 'floodgate.event.v1';

export const headerNames = {
  schema: 'floodgate-schema',
  ingestTime: 'floodgate-ingest-time',
  principal: 'floodgate-principal',
  contentType: 'content-type',
  // DLQ headers (see the worker)
  error: 'floodgate-error',
  errorClass: 'floodgate-error-class',
  sourceTopic: 'floodgate-source-topic',
  sourcePartition: 'floodgate-source-partition',
  sourceOffset: 'floodgate-source-offset',
  firstSeen: 'floodgate-first-seen',
  attempts: 'floodgate-attempts',
} as const;

export interface EventMessage {
  key: string;
  value: string;
  headers: Readonly<Record<string, string>>;
}

/**
 * The headers of an accepted event's message, frozen: the messages of one request share one such object, and the
 * patched kafkajs encodes a frozen all-string headers object once per send instead of once per record
 * (patches/README.md). The kafkajs instrumentation of @floodgate/telemetry gives a message with frozen headers its
 * own copy before it injects the message's trace context. `traceHeaders` are W3C trace context headers
 * (traceparent, tracestate) of the ingest span.
 */
export function eventMessageHeaders(ingestTimeMs: number, principal: string, traceHeaders: Record<string, string> = {}): Readonly<Record<string, string>> {
  return Object.freeze({
    ...traceHeaders,
    [headerNames.schema]: SCHEMA_VERSION,
    [headerNames.contentType]: 'application/json',
    [headerNames.ingestTime]: String(ingestTimeMs),
    [headerNames.principal]: principal,
  });
}

/** The messages of the events of one request, all with one shared headers object (see `eventMessageHeaders`). */
export function encodeEventMessages(events: DeviceEvent[], ingestTimeMs: number, principal: string, traceHeaders: Record<string, string> = {}): EventMessage[] {
  const headers = eventMessageHeaders(ingestTimeMs, principal, traceHeaders);
  return events.map((event) => ({ key: event.deviceId, value: JSON.stringify(event), headers }));
}

/** The message of one accepted event. */
export function encodeEventMessage(event: DeviceEvent, ingestTimeMs: number, principal: string, traceHeaders: Record<string, string> = {}): EventMessage {
  return encodeEventMessages([event], ingestTimeMs, principal, traceHeaders)[0]!;
}

export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

const storedEventSchema = eventSchema.required({ eventId: true });

/** The event in a message value: the fast path when it is plainly valid (the API writes nothing else), else zod's verdict. */
function storedEvent(json: unknown): EventInput & { eventId: string } {
  const plain = plainlyValidEvent(json);
  if (plain?.eventId !== undefined) return plain as EventInput & { eventId: string };
  const parsed = storedEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new PoisonMessageError(`value is not a valid event: ${parsed.error.issues.map((i) => `/${i.path.join('/')} ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Decodes a message value; throws PoisonMessageError for anything that is not a valid v1 event. */
export function decodeEventMessage(
  value: Buffer | string | null,
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> = {},
): DeviceEvent {
  if (value === null || value.length === 0) throw new PoisonMessageError('empty message value');
  const schema = headers[headerNames.schema]?.toString();
  if (schema !== undefined && schema !== SCHEMA_VERSION) throw new PoisonMessageError(`unknown schema version ${schema}`);
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (err) {
    throw new PoisonMessageError(`value is not JSON: ${(err as Error).message}`);
  }
  const e = storedEvent(json);
  const event: DeviceEvent = { eventId: e.eventId, deviceId: e.deviceId, ts: normalisedTime(e.ts), metrics: e.metrics };
  const payload = payloadAsSent(json, e.payload); // every key, also an own "__proto__"
  if (payload !== undefined) event.payload = payload;
  return event;
}
