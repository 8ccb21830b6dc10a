import fc from 'fast-check';
import { decodeEventMessage, encodeEventMessage, jsonDepth, PoisonMessageError, unstorableText, validateEvent } from '../../src';

const id = () => '0190d5a0-0000-7000-8000-000000000001';
const good = { deviceId: 'slope-17', ts: '2026-11-23T10:00:00+01:00', metrics: { rain_mm_h: 12.5, tilt_deg: 0.2 } };

describe('event validation', () => {
  it('accepts a valid event, assigns an id and normalises the time to UTC', () => {
    const r = validateEvent(good, 0, id);
    expect(r).toEqual({ ok: true, event: { eventId: id(), deviceId: 'slope-17', ts: '2026-11-23T09:00:00.000Z', metrics: good.metrics } });
  });

  it.each([
    [{ ...good, ts: '2026-11-23 10:00' }, '/ts'],
    [{ ...good, ts: '2026-11-23T10:00:00' }, '/ts'],
    [{ ...good, deviceId: '' }, '/deviceId'],
    [{ ...good, deviceId: 'a/b' }, '/deviceId'],
    [{ ...good, metrics: { rain_mm_h: '12' } }, '/metrics/rain_mm_h'],
    [{ ...good, metrics: { 'Rain-MM': 1 } }, '/metrics/Rain-MM'],
    [{ ...good, eventId: 'not-a-uuid' }, '/eventId'],
    [{ ...good, colour: 'red' }, '/'],
    [{ ...good, payload: [1, 2] }, '/payload'],
    [{ ...good, payload: { blob: 'x'.repeat(70 * 1024) } }, '/payload'],
    [{ ...good, ts: new Date(Date.now() + 48 * 3600e3).toISOString() }, '/ts'],
    // PostgreSQL cannot store these: answered 202, they could only have been dead-lettered.
    [{ ...good, ts: '0000-01-01T00:00:00Z' }, '/ts'],
    [{ ...good, ts: '1969-12-31T23:59:59Z' }, '/ts'],
    [{ ...good, payload: { note: 'nul \u0000 inside' } }, '/payload/note'],
    [{ ...good, payload: { list: ['ok', { deep: 'half a pair \ud83d' }] } }, '/payload/list/1/deep'],
    [{ ...good, payload: { 'key\u0000': 1 } }, '/payload/key\u0000'],
    [{ ...good, payload: { 'a/b~c': '\udc00' } }, '/payload/a~1b~0c'],
  ])('rejects %j at %s', (input, pointer) => {
    const r = validateEvent(input, 3, id);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]!.index).toBe(3);
      expect(r.problems.map((p) => p.pointer)).toContain(pointer);
    }
  });

  it('rejects non-finite numbers even when they get past JSON (NaN, Infinity)', () => {
    for (const v of [NaN, Infinity, -Infinity]) expect(validateEvent({ ...good, metrics: { rain_mm_h: v } }, 0, id).ok).toBe(false);
  });

  it('never throws, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withNullPrototype: true, withObjectString: true }), (value) => {
        const r = validateEvent(value, 0, id);
        return r.ok === true || r.problems.length > 0;
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed event it is given (property)', () => {
    const event = fc.record({
      deviceId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
      ts: fc.date({ min: new Date('2000-01-01'), max: new Date(), noInvalidDate: true }).map((d) => d.toISOString()),
      metrics: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), fc.double({ noNaN: true, noDefaultInfinity: true }), { maxKeys: 10 }),
    });
    fc.assert(fc.property(event, (e) => validateEvent(e, 0, id).ok));
  });

  it('accepts the Unix epoch and text PostgreSQL stores (paired surrogates, any script)', () => {
    const r = validateEvent({ ...good, ts: '1970-01-01T00:00:00Z', payload: { note: 'Hangrutschung 土砂災害 🌧', tab: 'a\tb' } }, 0, id);
    expect(r.ok).toBe(true);
  });

  it('finds unstorable text at any depth without recursion', () => {
    let deep: unknown = 'bad \u0000';
    for (let i = 0; i < 100000; i++) deep = [deep];
    expect(unstorableText(deep)?.split('/')).toHaveLength(100001);
    expect(unstorableText({ a: ['fine', { b: 'fine' }] })).toBeUndefined();
  });

  it('measures JSON depth without recursion, stopping early past the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100000; i++) deep = [deep];
    expect(jsonDepth(deep)).toBe(33);
    expect(jsonDepth({ a: { b: [1] } })).toBe(3);
  });

  it('measures the depth a recursive walk would, for random JSON', () => {
    const reference = (v: unknown): number =>
      v === null || typeof v !== 'object' ? 0 : 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(reference));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => {
        expect(jsonDepth(value)).toBe(reference(value));
      }),
      { numRuns: 3000, seed: 11 },
    );
  });
});

describe('Kafka message encoding', () => {
  it('round-trips an accepted event and keys it by device', () => {
    const r = validateEvent({ ...good, payload: { note: 'ok' } }, 0, id);
    if (!r.ok) throw new Error('expected valid');
    const msg = encodeEventMessage(r.event, 1700000000000, 'device:slope-17', { traceparent: '00-abc-def-01' });
    expect(msg.key).toBe('slope-17');
    expect(msg.headers).toMatchObject({ 'floodgate-ingest-time': '1700000000000', traceparent: '00-abc-def-01', 'floodgate-schema': 'floodgate.event.v1' });
    expect(decodeEventMessage(Buffer.from(msg.value), msg.headers)).toEqual(r.event);
  });

  it.each([[null], [''], ['{not json'], ['{"deviceId":"d"}'], [JSON.stringify({ ...good })]])('treats %j as poison', (value) => {
    expect(() => decodeEventMessage(value)).toThrow(PoisonMessageError);
  });
});
