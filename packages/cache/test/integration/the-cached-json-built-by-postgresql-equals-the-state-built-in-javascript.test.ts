/**
 * The worker writes the cache with JSON that PostgreSQL builds (deviceCacheEntryColumns); the API, when it fills a
 * miss, with JSON built in JavaScript from the same row (deviceStateFromRow). Readers must not be able to tell them
 * apart: same keys in the same order, same values, and the same (event time, event id) for the compare-and-set.
 */
import { migratedDatabase } from '../support/migrated-database';
import {
  deviceCacheEntry,
  deviceCacheEntryColumns,
  deviceCacheEntryFromRow,
  deviceStateColumns,
  deviceStateFromRow,
  type DeviceCacheEntryRow,
  type DeviceRow,
} from '../../src';

const database = migratedDatabase('cache_entry_test');

const devices: Array<{ id: string; ts: string; metrics: string; payload: string | null }> = [
  { id: 'plain', ts: '2026-11-24T01:30:00.123Z', metrics: '{"rain_mm_h": 12.5}', payload: null },
  // Microseconds beyond the milliseconds JavaScript keeps: both sides truncate.
  { id: 'micro', ts: '2026-11-24T01:30:00.123999+00', metrics: '{"tilt_deg": 0.1, "battery_v": 3.9}', payload: '{"fw": "1.2.3"}' },
  // An offset in the input; the cache speaks UTC.
  {
    id: 'offset',
    ts: '2026-11-24T07:00:00.5+05:30',
    metrics: '{"a": 1e21, "b": -0.000001, "c": 0}',
    payload: '{"z": 1, "a": {"nested": null, "s": "é\\u0001✓"}, "list": [1, null, "x"]}',
  },
  // Before the epoch: the ms must round the same way (down) on both sides.
  { id: 'before-epoch', ts: '1969-12-31T23:59:59.9995Z', metrics: '{"x": 1}', payload: '{}' },
  { id: 'far', ts: '9999-12-31T23:59:59.999999Z', metrics: '{"x": 2}', payload: null },
];

describe('the cached JSON built by PostgreSQL', () => {
  it('equals the state built in JavaScript from the same row, key order and compare-and-set order included', async () => {
    // A session time zone far from UTC: the JSON must not depend on it.
    await database.client().query(`SET TIME ZONE 'Asia/Kolkata'`);
    for (const d of devices)
      await database
        .client()
        .query(`INSERT INTO devices (device_id, last_event_id, last_ts, metrics, payload) VALUES ($1, gen_random_uuid(), $2, $3, $4)`, [
          d.id,
          d.ts,
          d.metrics,
          d.payload,
        ]);
    const rows = (await database.client().query<DeviceRow>(`SELECT ${deviceStateColumns} FROM devices ORDER BY device_id`)).rows;
    const entries = (await database.client().query<DeviceCacheEntryRow>(`SELECT ${deviceCacheEntryColumns} FROM devices ORDER BY device_id`)).rows.map(
      deviceCacheEntryFromRow,
    );
    expect(entries).toHaveLength(devices.length);
    entries.forEach((entry, i) => {
      const state = deviceStateFromRow(rows[i]!);
      const parsed = JSON.parse(entry.json) as Record<string, unknown>;
      expect(parsed).toStrictEqual(state);
      expect(Object.keys(parsed)).toEqual(Object.keys(state));
      const fromJs = deviceCacheEntry(state);
      expect({ deviceId: entry.deviceId, eventId: entry.eventId, tsMs: entry.tsMs }).toEqual({
        deviceId: fromJs.deviceId,
        eventId: fromJs.eventId,
        tsMs: fromJs.tsMs,
      });
    });
    const byId = new Map(entries.map((e) => [e.deviceId, e]));
    expect(JSON.parse(byId.get('micro')!.json).ts).toBe('2026-11-24T01:30:00.123Z');
    expect(JSON.parse(byId.get('offset')!.json).ts).toBe('2026-11-24T01:30:00.500Z');
    expect(byId.get('before-epoch')!.tsMs).toBe('-1');
    expect(JSON.parse(byId.get('plain')!.json)).not.toHaveProperty('payload');
    expect(JSON.parse(byId.get('before-epoch')!.json).payload).toEqual({});
  });
});
