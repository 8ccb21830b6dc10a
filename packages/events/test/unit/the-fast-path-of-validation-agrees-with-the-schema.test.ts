/**
 * plainlyValidEvent (validation without zod, for plainly valid events) never accepts what the zod schema refuses and,
 * when it accepts, returns what zod returns; validateEvent and decodeEventMessage normalise `ts` exactly as
 * `new Date(ts).toISOString()` would. Random inputs: mostly near-valid events with one field bent, plus arbitrary
 * values, each also sent through a JSON round trip (what the API's parser hands over, own "__proto__" keys included).
 */
import fc from 'fast-check';
import { decodeEventMessage, deviceIdPattern, encodeEventMessage, eventSchema, metricNamePattern, plainlyValidEvent, validateEvent } from '../../src';

const validTs = fc
  .date({ min: new Date('1969-12-30T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .chain((d) =>
    fc.constantFrom(
      d.toISOString(),
      d.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      d.toISOString().replace(/Z$/, '+00:00'),
      d.toISOString().replace(/\.(\d{3})Z$/, '.$1456Z'),
      d.toISOString().replace(/Z$/, '-05:30'),
      d.toISOString().replace(/T/, 't'),
      d.toISOString().replace(/Z$/, ''),
    ),
  );

const metricName = fc.oneof(fc.stringMatching(metricNamePattern), fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'Rain', '1a'));
const metricValue = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -0, '1', null, true));
const metrics = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(fc.stringMatching(metricNamePattern), fc.double({ noNaN: true, noDefaultInfinity: true }), { maxKeys: 5 }) },
  fc.dictionary(metricName, metricValue, { maxKeys: 6 }),
  fc.dictionary(fc.stringMatching(metricNamePattern), fc.integer(), { minKeys: 60, maxKeys: 70 }),
  fc.constantFrom([], null, 'rain', 1),
);

/** Mostly the valid form, sometimes something bent. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, bent: fc.Arbitrary<U>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: bent });

const eventLike = fc
  .tuple(
    fc.option(
      mostly(
        fc.uuid(),
        fc.oneof(
          fc.uuid().map((u) => u.toUpperCase()),
          fc.string({ maxLength: 40 }),
          fc.constantFrom('00000000-0000-0000-0000-000000000000', 7, null),
        ),
      ),
    ),
    mostly(fc.stringMatching(deviceIdPattern), fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('', 'a'.repeat(129), 5))),
    mostly(validTs, fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('2026-02-29T00:00:00Z', '2026-11-23T24:00:00Z', 1_700_000_000_000))),
    metrics,
    fc.option(mostly(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), fc.constantFrom([], null, 'text', 3))),
    fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.anything() }), // rarely an unknown field
  )
  .map(([eventId, deviceId, ts, m, payload, extra]) => {
    const event: Record<string, unknown> = { deviceId, ts, metrics: m };
    if (eventId !== null) event.eventId = eventId;
    if (payload !== null) event.payload = payload;
    if (extra !== null) event.extra = extra;
    return event;
  });

const anyInput = fc.oneof(
  { weight: 8, arbitrary: eventLike },
  { weight: 1, arbitrary: fc.anything() },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{"deviceId":"d","ts":"2026-11-23T10:00:00Z","metrics":{},"__proto__":{}}',
        '{"deviceId":"d","ts":"2026-11-23T10:00:00Z","metrics":{"__proto__":1}}',
      )
      .map((t) => JSON.parse(t) as unknown),
  },
);
/** As the API's JSON parser would hand it over (undefined and functions dropped, own "__proto__" keys kept). */
const viaJson = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

describe('the fast path of event validation', () => {
  it('accepts only what zod accepts, and returns what zod returns', () => {
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(anyInput, fc.boolean(), (generated, roundTrip) => {
        const input = roundTrip ? viaJson(generated) : generated;
        runs += 1;
        const plain = plainlyValidEvent(input);
        if (plain === undefined) return;
        fast += 1;
        const zod = eventSchema.safeParse(input);
        expect(zod.success).toBe(true);
        const { payload: zodPayload, ...zodRest } = zod.data!;
        const { payload: plainPayload, ...plainRest } = plain;
        expect(plainRest).toEqual(zodRest);
        // zod copies the payload (and drops an own "__proto__" key); the fast path keeps the device's object.
        expect(plainPayload === undefined).toBe(zodPayload === undefined);
        if (plainPayload !== undefined) expect(plainPayload).toBe((input as { payload: unknown }).payload);
      }),
      { numRuns: 20_000, seed: 20261123 },
    );
    // The path is actually taken: a good share of the generated events are plainly valid.
    expect(fast / runs).toBeGreaterThan(0.05);
  });

  it('leaves every plainly valid sample event to the fast path', () => {
    const event = { deviceId: 'slope-7', ts: '2026-11-23T10:00:00.000Z', metrics: { rain_mm_h: 12.5, tilt_deg: 0.1 } };
    expect(plainlyValidEvent(event)).toEqual(event);
    expect(plainlyValidEvent({ ...event, eventId: '0190d5a0-0000-7000-8000-000000000000', payload: { a: [1] } })).toBeDefined();
    // Anything unusual goes to zod: an unknown field, a metric name zod would refuse, a non-finite value, a class instance.
    expect(plainlyValidEvent({ ...event, extra: 1 })).toBeUndefined();
    expect(plainlyValidEvent({ ...event, metrics: { Rain: 1 } })).toBeUndefined();
    expect(plainlyValidEvent({ ...event, metrics: { rain: Infinity } })).toBeUndefined();
    expect(plainlyValidEvent(Object.assign(new (class Event {})(), event))).toBeUndefined();
  });

  it('gives validateEvent and decodeEventMessage the time zod and toISOString would', () => {
    fc.assert(
      fc.property(validTs, (ts) => {
        const result = validateEvent({ deviceId: 'd', ts, metrics: {} }, 0, () => '0190d5a0-0000-7000-8000-000000000000', Date.parse('2100-01-01T00:00:00Z'));
        if (!result.ok) return; // before 1970: refused, as it should be
        expect(result.event.ts).toBe(new Date(ts).toISOString());
        const stored = { ...result.event, ts };
        expect(decodeEventMessage(encodeEventMessage(stored, 0, 'device:d').value).ts).toBe(new Date(ts).toISOString());
      }),
      { numRuns: 5_000, seed: 7 },
    );
  });
});
