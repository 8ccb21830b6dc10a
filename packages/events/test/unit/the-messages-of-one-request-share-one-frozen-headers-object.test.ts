/**
 * The messages of one request share one frozen headers object: the patched kafkajs encodes such an object once per
 * send, not once per record (patches/README.md). Each message still carries every header.
 */
import { decodeEventMessage, encodeEventMessages, headerNames, SCHEMA_VERSION, type DeviceEvent } from '../../src';

const event = (deviceId: string): DeviceEvent => ({
  eventId: '0190d5a0-0000-7000-8000-000000000001',
  deviceId,
  ts: '2026-11-24T06:00:00.000Z',
  metrics: { rain_mm_h: 1.5 },
});

describe('the Kafka messages of a request', () => {
  it('share one frozen headers object holding the trace context, schema, content type, ingest time and principal', () => {
    const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const messages = encodeEventMessages([event('slope-1'), event('slope-2')], 1795000000000, 'gateway:g', trace);
    expect(messages.map((m) => m.key)).toEqual(['slope-1', 'slope-2']);
    expect(messages[0]!.headers).toBe(messages[1]!.headers);
    expect(Object.isFrozen(messages[0]!.headers)).toBe(true);
    expect(messages[0]!.headers).toEqual({
      traceparent: trace.traceparent,
      [headerNames.schema]: SCHEMA_VERSION,
      [headerNames.contentType]: 'application/json',
      [headerNames.ingestTime]: '1795000000000',
      [headerNames.principal]: 'gateway:g',
    });
    messages.forEach((m, i) => expect(decodeEventMessage(m.value, m.headers)).toEqual(event(`slope-${i + 1}`)));
  });
});
