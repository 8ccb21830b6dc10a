import { decodeEventMessage, encodeEventMessage, validateEvent } from '../../src';

// JSON.parse makes "__proto__" an own key like any other; zod's record parsing rebuilt the payload by
// assignment and lost it, so an event was answered 202 and stored without part of what the device sent
// (found by the API fuzz run). The payload is kept as sent, measured as sent, and pollutes nothing.
const id = () => '0190d5a0-0000-7000-8000-000000000001';
const text = (payload: string) => `{"deviceId":"slope-17","ts":"2026-11-23T10:00:00Z","metrics":{},"payload":${payload}}`;

describe('an event payload', () => {
  it('keeps an own "__proto__" key through validation and the Kafka round trip, without touching any prototype', () => {
    const r = validateEvent(JSON.parse(text('{"__proto__":{"polluted":true},"a":2,"constructor":{"prototype":{"polluted":true}}}')), 0, id);
    if (!r.ok) throw new Error(`expected valid: ${JSON.stringify(r.problems)}`);
    const expected = '{"__proto__":{"polluted":true},"a":2,"constructor":{"prototype":{"polluted":true}}}';
    expect(JSON.stringify(r.event.payload)).toBe(expected);
    expect(Object.getPrototypeOf(r.event.payload)).toBe(Object.prototype);
    expect((r.event.payload as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const msg = encodeEventMessage(r.event, 1700000000000, 'device:slope-17');
    const decoded = decodeEventMessage(Buffer.from(msg.value), msg.headers);
    expect(JSON.stringify(decoded.payload)).toBe(expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('counts what sits under "__proto__" toward the 64 KiB limit', () => {
    const r = validateEvent(JSON.parse(text(`{"__proto__":{"blob":"${'x'.repeat(70 * 1024)}"}}`)), 2, id);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([expect.objectContaining({ index: 2, pointer: '/payload', message: expect.stringMatching(/64 KiB/) })]);
  });
});
