import pg from 'pg';
import type { DeviceEvent } from '@floodgate/events';
import { AlertRuleSource } from '../../src/alert-store';
import { ReadingWriter } from '../../src/reading-writer';
import { createTestDatabase, makeEvent, sql, type TestDatabase } from '../support/worker-fixture';

jest.setTimeout(60000);

let db: TestDatabase;
let pool: pg.Pool;
let writer: ReadingWriter;

beforeAll(async () => {
  db = await createTestDatabase('worker_alert_batches');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // The seeded rules (rainfall-intensity: info >= 7.6, warning >= 14.8, critical >= 29.8 mm/h, clears at <= 2.5).
  const rules = new AlertRuleSource(pool, 60000);
  writer = new ReadingWriter(pool, () => rules.current());
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const base = Date.parse('2026-11-22T20:00:00Z');
const rain = (deviceId: string, minute: number, value: number): DeviceEvent => makeEvent(deviceId, new Date(base + minute * 60000), { rain_mm_h: value });
const quiet = (minute: number) => Array.from({ length: 50 }, (_, i) => rain(`quiet-${i}`, minute, 1));
const write = (events: DeviceEvent[]) => writer.write(events.map((event) => ({ event })));

const openAlerts = () =>
  sql<{ device_id: string; status: string; severity: string; last_value: number; peak_value: number }>(
    db.url,
    `select a.device_id, a.status, a.severity, a.last_value, a.peak_value
       from alerts a join alert_rules r on r.id = a.rule_id where r.name = 'rainfall-intensity' order by a.opened_at`,
  );

it('readings that reach no level still move, and then resolve, an alert a previous batch opened; quiet devices raise nothing', async () => {
  const opened = await write([...quiet(0), rain('slope-7', 0, 20)]);
  expect(opened.alerts.map((a) => `${a.deviceId} ${a.kind} ${a.severity}`)).toEqual(['slope-7 opened warning']);

  // Between the clear threshold and the lowest level: the alert stays open and records the value.
  const held = await write([...quiet(1), rain('slope-7', 1, 5)]);
  expect(held.alerts).toEqual([]);
  expect(await openAlerts()).toEqual([{ device_id: 'slope-7', status: 'open', severity: 'warning', last_value: 5, peak_value: 20 }]);

  const resolved = await write([...quiet(2), rain('slope-7', 2, 2)]);
  expect(resolved.alerts.map((a) => `${a.deviceId} ${a.kind} ${a.severity}`)).toEqual(['slope-7 resolved warning']);
  expect(await openAlerts()).toEqual([{ device_id: 'slope-7', status: 'resolved', severity: 'warning', last_value: 2, peak_value: 20 }]);
});
