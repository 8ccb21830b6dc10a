/**
 * The device event: what a device may send and what it becomes once accepted.
 * Validation is a plain function with no I/O; the API runs it on every event of a
 * batch and reports each bad index. Unknown fields are rejected (a typo in a field
 * name must not silently drop data).
 */
import { z } from 'zod';

export const limits = {
  maxBodyBytes: 1024 * 1024,
  maxBatchEvents: 1000,
  maxPayloadBytes: 64 * 1024,
  maxMetrics: 64,
  maxJsonDepth: 32,
  /** Event time may run ahead of the server clock by this much (device clock skew). */
  maxFutureSkewMs: 24 * 60 * 60 * 1000,
  /** No event time before the Unix epoch: a device reporting one has lost its clock (and year 0 cannot be stored). */
  minEventTimeMs: 0,
} as const;

export const deviceIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const metricNamePattern = /^[a-z][a-z0-9_]{0,63}$/;

const rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with a time zone, e.g. 2026-11-23T10:00:00Z' });
// The patterns zod uses for z.uuid() and z.iso.datetime({ offset: true }), for the fast path below.
const uuidPattern = z.regexes.uuid();
const rfc3339Pattern = z.regexes.datetime({ offset: true, local: false, precision: null });
/** The form `Date.prototype.toISOString` writes (years 0000-9999): such a `ts` is already normalised. */
const isoUtcMillisPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export const eventSchema = z.strictObject({
  eventId: z.uuid({ message: 'must be a UUID' }).optional(),
  deviceId: z.string().regex(deviceIdPattern, 'must be 1-128 characters of letters, digits, and . _ : - (starting with a letter or digit)'),
  ts: rfc3339,
  metrics: z
    .record(
      z.string().regex(metricNamePattern, 'metric names are lower_snake_case, at most 64 characters'),
      z.number().refine(Number.isFinite, 'must be a finite number'),
    )
    .refine((m) => Object.keys(m).length <= limits.maxMetrics, `at most ${limits.maxMetrics} metrics per event`),
  payload: z.record(z.string(), z.unknown()).optional(),
});

export type EventInput = z.infer<typeof eventSchema>;

/** An accepted event: it always has an id, and its time is normalised to UTC. */
export interface DeviceEvent {
  eventId: string;
  deviceId: string;
  ts: string;
  metrics: Record<string, number>;
  payload?: Record<string, unknown>;
}

export interface EventProblem {
  /** Index in the batch (0 for a single event). */
  index: number;
  /** JSON pointer into the event, e.g. `/metrics/rain_mm_h`. */
  pointer: string;
  message: string;
}

export type ValidationResult = { ok: true; event: DeviceEvent } | { ok: false; problems: EventProblem[] };

/** Validates one event; `newId` supplies the id when the device sent none (UUIDv7). */
export function validateEvent(input: unknown, index: number, newId: () => string, now = Date.now()): ValidationResult {
  let e = plainlyValidEvent(input);
  if (e === undefined) {
    const parsed = eventSchema.safeParse(input);
    if (!parsed.success) {
      return {
        ok: false,
        problems: parsed.error.issues.map((i) => ({ index, pointer: `/${i.path.map(String).join('/')}`, message: i.message })),
      };
    }
    e = parsed.data;
  }
  // zod rebuilds a record key by key, which loses an own "__proto__" key (JSON.parse makes one): the payload,
  // whose shape was validated above, is measured and kept exactly as the device sent it.
  const payload = payloadAsSent(input, e.payload);
  const problems: EventProblem[] = [];
  const t = Date.parse(e.ts);
  if (t - now > limits.maxFutureSkewMs) problems.push({ index, pointer: '/ts', message: 'is more than 24 hours in the future; check the device clock' });
  if (t < limits.minEventTimeMs) problems.push({ index, pointer: '/ts', message: 'is before 1970-01-01T00:00:00Z; check the device clock' });
  if (payload !== undefined && Buffer.byteLength(JSON.stringify(payload)) > limits.maxPayloadBytes) {
    problems.push({ index, pointer: '/payload', message: `is larger than ${limits.maxPayloadBytes / 1024} KiB` });
  }
  const unstorable = payload === undefined ? undefined : unstorableText(payload, '/payload');
  if (unstorable) {
    problems.push({ index, pointer: unstorable, message: 'holds a NUL character or an unpaired UTF-16 surrogate, which cannot be stored as JSON text' });
  }
  if (problems.length) return { ok: false, problems };
  const event: DeviceEvent = { eventId: e.eventId?.toLowerCase() ?? newId(), deviceId: e.deviceId, ts: normalisedTime(e.ts, t), metrics: e.metrics };
  if (payload !== undefined) event.payload = payload;
  return { ok: true, event };
}

/** A valid RFC 3339 `ts` in UTC with milliseconds (`toISOString`'s form); `parsed` is its Date.parse when known. */
export function normalisedTime(ts: string, parsed?: number): string {
  return isoUtcMillisPattern.test(ts) ? ts : new Date(parsed ?? Date.parse(ts)).toISOString();
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

const eventFields = new Set(['eventId', 'deviceId', 'ts', 'metrics', 'payload']);

/**
 * The fast path of `validateEvent`: what `eventSchema` would return for an event that is plainly valid (a JSON object
 * with only known fields, each of the right form, checked with the same patterns), without zod's generic machinery,
 * which costs several times more per event. Undefined whenever anything is off or unusual; the caller then asks zod,
 * which decides and words the problems. A property test holds it to zod's verdict on random inputs.
 */
export function plainlyValidEvent(input: unknown): EventInput | undefined {
  if (!isJsonObject(input)) return undefined;
  for (const key in input) if (!eventFields.has(key)) return undefined;
  const { eventId, deviceId, ts, metrics, payload } = input;
  if ('eventId' in input && (typeof eventId !== 'string' || !uuidPattern.test(eventId))) return undefined;
  if (typeof deviceId !== 'string' || !deviceIdPattern.test(deviceId)) return undefined;
  if (typeof ts !== 'string' || !rfc3339Pattern.test(ts)) return undefined;
  if (!isJsonObject(metrics)) return undefined;
  let count = 0;
  for (const name in metrics) {
    const value = metrics[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || !metricNamePattern.test(name)) return undefined;
    count += 1;
  }
  if (count > limits.maxMetrics) return undefined;
  if ('payload' in input && !isJsonObject(payload)) return undefined;
  const event: EventInput = { deviceId, ts, metrics: metrics as Record<string, number> };
  if (eventId !== undefined) event.eventId = eventId as string;
  if (payload !== undefined) event.payload = payload as Record<string, unknown>;
  return event;
}

/** The payload of a validated input as it was given (not zod's copy of it); undefined when there is none. */
export function payloadAsSent(input: unknown, parsed: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return parsed === undefined ? undefined : (input as { payload: Record<string, unknown> }).payload;
}

// In a `u` regex a surrogate class matches only a surrogate without its pair; NUL is the one control character
// jsonb refuses, matched on purpose.
// eslint-disable-next-line no-control-regex
const unstorableChar = /[\u0000\p{Cs}]/u;

/**
 * The JSON pointer of the first key or string in `value` that PostgreSQL's jsonb refuses (a NUL character, or an
 * unpaired UTF-16 surrogate, which JSON.stringify writes as a lone \\uD8xx escape); undefined when all is storable.
 * Checked at ingest so that an event answered 202 can always be stored, never dead-lettered for its text.
 */
export function unstorableText(value: unknown, pointer = ''): string | undefined {
  // Iterative, like jsonDepth: a deep payload must not exhaust the call stack.
  const stack: [unknown, string][] = [[value, pointer]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (unstorableChar.test(v)) return at;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}/${i}`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v).reverse()) {
        const childAt = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (unstorableChar.test(key)) return childAt;
        stack.push([child, childAt]);
      }
    }
  }
  return undefined;
}

/** Depth of nested arrays/objects, to refuse bodies built to exhaust the parser or validator (stops past `limit`). */
export function jsonDepth(value: unknown, limit = limits.maxJsonDepth): number {
  // Iterative with two parallel stacks (no tuple per node: the API walks every body it accepts).
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let max = 0;
  while (values.length) {
    const v = values.pop();
    const d = depths.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child: unknown = v[i];
        if (child !== null && typeof child === 'object') {
          values.push(child);
          depths.push(depth);
        }
      }
    } else {
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        const child: unknown = (v as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') {
          values.push(child);
          depths.push(depth);
        }
      }
    }
  }
  return max;
}
