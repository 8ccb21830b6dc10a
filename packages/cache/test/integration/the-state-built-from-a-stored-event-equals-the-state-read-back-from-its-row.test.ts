/**
 * After its upsert the worker builds each moved device's cached state from the event it stored and the transaction's
 * now() (deviceCacheEntryOfEvent), instead of reading the row back; the API builds the state of a miss from the row
 * (deviceStateFromRow). A reader must not be able to tell them apart: jsonb reorders object keys (shorter first, then
 * by UTF-8 bytes) and the row's times are truncated to milliseconds, and the event-built JSON must match that.
 */
import { migratedDatabase } from '../support/migrated-database';
import { deviceCacheEntry, deviceCacheEntryOfEvent, deviceStateColumns, deviceStateFromRow, inJsonbOrder, type DeviceRow } from '../../src';

const database = migratedDatabase('cache_event_state_test');

// Keys of one UTF-8 length whose UTF-16 order is the reverse of their byte order: U+1F600 is F0 9F 98 80 in UTF-8
// (and D83D DE00 in UTF-16), U+FFFD then "A" is EF BF BD 41 (FFFD 0041).
const astral = '\u{1F600}';
const bmpHigh = '\uFFFDA';
const payloadWithProto = JSON.parse('{"__proto__": {"polluted": true}, "b": 1}') as Record<string, unknown>;

const stored: Array<{ deviceId: string; ts: string; metrics: Record<string, number>; payload?: Record<string, unknown> }> = [
  { deviceId: 'plain', ts: '2026-11-24T01:30:00.123Z', metrics: { rain_mm_h: 12.5 } },
  {
    deviceId: 'key-order',
    ts: '2026-11-24T01:30:00.000Z',
    metrics: { soil_moisture_pct: 1, a: 2, tilt: 0.1, bb: 3, '10': 4, '2': 5 },
    payload: {
      zeta: { b: [{ y: 1, x: 2 }, 'x', null], a: null },
      é: 1,
      e: 2,
      ab: 3,
      [astral]: 'astral',
      [bmpHigh]: 'bmp',
      '10': 'ten',
      '2': 'two',
      '': 'empty',
    },
  },
  { deviceId: 'numbers', ts: '2026-11-24T01:30:00.001Z', metrics: { a: 1e21, b: 1e-7, c: 0.1 + 0.2, d: -0, e: 123456789012345680000, f: 5e-324, g: -1.5 } },
  { deviceId: 'proto', ts: '2026-11-24T01:30:00.002Z', metrics: { x: 1 }, payload: payloadWithProto },
  { deviceId: 'empty-payload', ts: '2026-11-24T01:30:00.003Z', metrics: { x: 1 }, payload: {} },
  // Not the API's normalised form (the worker only sees that), but the state still follows the stored row.
  { deviceId: 'micro', ts: '2026-11-24T01:30:00.123999Z', metrics: { x: 1 } },
  { deviceId: 'offset', ts: '2026-11-24T07:00:00.5+05:30', metrics: { x: 1 } },
  { deviceId: 'before-epoch', ts: '1969-12-31T23:59:59.9995Z', metrics: { x: 1 } },
  { deviceId: 'far', ts: '9999-12-31T23:59:59.999Z', metrics: { x: 2 } },
];
const events = stored.map((e, i) => ({ ...e, eventId: `0193b000-0000-7000-8000-${String(i).padStart(12, '0')}`.toUpperCase() }));

describe('the state built from a stored event', () => {
  it('equals the state read back from its row: keys in jsonb order at every depth, times in UTC milliseconds', async () => {
    await database.client().query(`SET TIME ZONE 'Asia/Kolkata'`); // a session far from UTC: neither side may depend on it
    await database.client().query('BEGIN');
    // The worker's way to learn the transaction's now(): floored milliseconds, as node-postgres reads a timestamptz.
    const nowMs = (await database.client().query<{ now_ms: number }>('SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS now_ms')).rows[0]!.now_ms;
    for (const e of events)
      await database
        .client()
        .query(`INSERT INTO devices (device_id, last_event_id, last_ts, metrics, payload) VALUES ($1, $2, $3, $4, $5)`, [
          e.deviceId,
          e.eventId,
          e.ts,
          JSON.stringify(e.metrics),
          e.payload === undefined ? null : JSON.stringify(e.payload),
        ]);
    await database.client().query('COMMIT');
    const rows = (await database.client().query<DeviceRow>(`SELECT ${deviceStateColumns} FROM devices`)).rows;
    const byId = new Map(rows.map((r) => [r.device_id, deviceStateFromRow(r)]));
    for (const e of events) {
      const fromRow = byId.get(e.deviceId)!;
      // The cached bytes, so key order counts (toStrictEqual ignores it), and the compare-and-set order.
      expect(deviceCacheEntryOfEvent(e, Date.parse(e.ts), new Date(nowMs).toISOString())).toEqual(deviceCacheEntry(fromRow));
    }
    const keyOrder = JSON.parse(deviceCacheEntry(byId.get('key-order')!).json) as { metrics: object; payload: object };
    expect(Object.keys(keyOrder.metrics)).toEqual(['2', '10', 'a', 'bb', 'tilt', 'soil_moisture_pct']);
    expect(Object.keys(keyOrder.payload)).toEqual(['2', '10', '', 'e', 'ab', 'é', 'zeta', bmpHigh, astral]);
    const proto = events.find((e) => e.deviceId === 'proto')!;
    const protoJson = deviceCacheEntryOfEvent(proto, Date.parse(proto.ts), new Date(nowMs).toISOString()).json;
    expect(Object.keys((JSON.parse(protoJson) as { payload: object }).payload)).toEqual(['b', '__proto__']);
    expect(byId.get('plain')).not.toHaveProperty('payload');
  });

  it('orders keys as jsonb does, which is not the UTF-16 order of a plain sort', () => {
    expect(JSON.stringify(inJsonbOrder({ [astral]: 1, [bmpHigh]: 2, bb: 3, c: [{ z: 1, y: 2 }] }))).toBe(
      `{"c":[{"y":2,"z":1}],"bb":3,"${bmpHigh}":2,"${astral}":1}`,
    );
    expect([astral, bmpHigh].sort()).toEqual([astral, bmpHigh]); // what a plain sort would have done
  });
});
