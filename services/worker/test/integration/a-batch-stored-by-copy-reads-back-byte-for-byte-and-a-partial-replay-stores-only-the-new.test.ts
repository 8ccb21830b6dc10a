import pg from 'pg';
import type { DeviceEvent } from '@floodgate/events';
import { classifyError } from '../../src/error-classifier';
import { GroupCommit } from '../../src/group-commit';
import { ReadingWriter, type IncomingEvent } from '../../src/reading-writer';
import { createTestDatabase, makeEvent, sql, type TestDatabase } from '../support/worker-fixture';

jest.setTimeout(60000);

let db: TestDatabase;
let pool: pg.Pool;
let writer: ReadingWriter;

beforeAll(async () => {
  db = await createTestDatabase('worker_copy_path');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  writer = new ReadingWriter(pool, async () => []);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const incoming = (events: DeviceEvent[], ingestTimeMs?: number): IncomingEvent[] => events.map((event) => ({ event, ingestTimeMs }));

it('stores payloads with backslashes, tabs, newlines, quotes, "\\N" and non-ASCII exactly as sent', async () => {
  const awkward = {
    note: 'line one\nline two\ttabbed\r\n',
    path: 'C:\\sensors\\N\\raw',
    literalNull: '\\N',
    quote: 'say "hi"',
    unicode: 'Hangrutschung 土砂災害 🌧',
    nested: { list: [1, 'two', null, { deep: '\\' }] },
  };
  const e = { ...makeEvent('dev-copy-1', '2026-11-20T00:00:00Z', { rain_mm_h: 12.5, tilt_deg: -0.25 }), payload: awkward };
  const plain = makeEvent('dev-copy-2', '2026-11-20T00:00:01Z', { soil_moisture_pct: 41 });
  const ingestedAt = Date.parse('2026-11-20T00:00:02.123Z');
  const result = await writer.write(incoming([e, plain], ingestedAt));
  expect({ stored: result.stored, duplicates: result.duplicates }).toEqual({ stored: 2, duplicates: 0 });

  const rows = await sql<{ device_id: string; event_id: string; ts: Date; metrics: unknown; payload: unknown; ingested_at: Date }>(
    db.url,
    'select device_id, event_id::text, ts, metrics, payload, ingested_at from readings order by device_id',
  );
  expect(rows).toEqual([
    { device_id: 'dev-copy-1', event_id: e.eventId, ts: new Date(e.ts), metrics: e.metrics, payload: awkward, ingested_at: new Date(ingestedAt) },
    { device_id: 'dev-copy-2', event_id: plain.eventId, ts: new Date(plain.ts), metrics: plain.metrics, payload: null, ingested_at: new Date(ingestedAt) },
  ]);
  // The devices' latest state, upserted from the same batch: the same metrics and payload, exactly.
  const devices = await sql<{ device_id: string; last_event_id: string; last_ts: Date; metrics: unknown; payload: unknown }>(
    db.url,
    'select device_id, last_event_id::text, last_ts, metrics, payload from devices order by device_id',
  );
  expect(devices).toEqual([
    { device_id: 'dev-copy-1', last_event_id: e.eventId, last_ts: new Date(e.ts), metrics: e.metrics, payload: awkward },
    { device_id: 'dev-copy-2', last_event_id: plain.eventId, last_ts: new Date(plain.ts), metrics: plain.metrics, payload: null },
  ]);
});

it('a batch seen in part before stores only the readings that are new, and reports exactly those', async () => {
  const base = Date.parse('2026-11-21T00:00:00Z');
  const events = Array.from({ length: 200 }, (_, i) => makeEvent(`dev-replay-${i % 10}`, new Date(base + i * 1000), { river_level_m: i / 10 }));
  const first = await writer.write(incoming(events.slice(0, 120)));
  expect({ stored: first.stored, duplicates: first.duplicates }).toEqual({ stored: 120, duplicates: 0 });

  // Events 100..199: the first 20 were stored by the batch above (COPY meets them and falls back to the dedup INSERT).
  const second = await writer.write(incoming(events.slice(100)));
  expect({ stored: second.stored, duplicates: second.duplicates }).toEqual({ stored: 80, duplicates: 20 });

  const [count] = await sql<{ n: string; distinct_n: string }>(
    db.url,
    "select count(*) as n, count(distinct (device_id, event_id)) as distinct_n from readings where device_id like 'dev-replay-%'",
  );
  expect(count).toEqual({ n: '200', distinct_n: '200' });
  // The latest state of each device is its newest event, whichever path stored it.
  const devices = await sql<{ device_id: string; last_event_id: string }>(
    db.url,
    "select device_id, last_event_id::text from devices where device_id like 'dev-replay-%' order by device_id",
  );
  const newest = new Map<string, string>();
  for (const ev of events) newest.set(ev.deviceId, ev.eventId);
  expect(devices).toEqual([...newest].sort(([a], [b]) => a.localeCompare(b)).map(([device_id, last_event_id]) => ({ device_id, last_event_id })));
});

it('a reading the database cannot hold fails the whole batch and leaves nothing behind', async () => {
  const bad = { ...makeEvent('dev-copy-bad', '2026-11-22T00:00:00Z', { rain_mm_h: 1 }), payload: { text: 'nul \u0000 inside' } };
  const good = makeEvent('dev-copy-good', '2026-11-22T00:00:01Z', { rain_mm_h: 2 });
  await expect(writer.write(incoming([good, bad]))).rejects.toThrow(/unsupported Unicode escape sequence|\\u0000/);
  const rows = await sql(db.url, "select 1 from readings where device_id in ('dev-copy-bad', 'dev-copy-good')");
  expect(rows).toHaveLength(0);
});

describe('several partition batches in one transaction (group commit)', () => {
  it('gives each batch its own counts and device states, a replayed part included', async () => {
    const base = Date.parse('2026-11-22T06:00:00Z');
    const a = Array.from({ length: 30 }, (_, i) => makeEvent(`dev-group-a${i % 3}`, new Date(base + i * 1000), { rain_mm_h: i }));
    const b = Array.from({ length: 20 }, (_, i) => makeEvent(`dev-group-b${i % 2}`, new Date(base + i * 1000), { rain_mm_h: i }));
    await writer.write(incoming(b.slice(0, 5))); // b's first 5 are a redelivery in the group below

    const [ra, rb] = await writer.writeGroup([incoming(a), incoming(b)]);
    expect({ stored: ra!.stored, duplicates: ra!.duplicates }).toEqual({ stored: 30, duplicates: 0 });
    expect({ stored: rb!.stored, duplicates: rb!.duplicates }).toEqual({ stored: 15, duplicates: 5 });
    expect(ra!.cacheEntries.map((s) => s.deviceId).sort()).toEqual(['dev-group-a0', 'dev-group-a1', 'dev-group-a2']);
    expect(rb!.cacheEntries.map((s) => s.deviceId).sort()).toEqual(['dev-group-b0', 'dev-group-b1']);
    // Each state is the device's newest event, as the database holds it.
    expect(rb!.cacheEntries.find((s) => s.deviceId === 'dev-group-b1')?.eventId).toBe(b[19]!.eventId);
    expect(ra!.committedAt).toBe(rb!.committedAt);
    const [count] = await sql<{ n: string }>(db.url, "select count(*) as n from readings where device_id like 'dev-group-%'");
    expect(count).toEqual({ n: '50' });
  });

  it('through GroupCommit, a refused reading fails only its own batch; the batches sharing its transaction are stored', async () => {
    const commit = new GroupCommit(writer, { maxEvents: 10_000, maxInFlight: 1, isPermanent: (err) => classifyError(err).class === 'permanent' });
    const good1 = [makeEvent('dev-group-good-1', '2026-11-22T07:00:00Z', { rain_mm_h: 1 })];
    const bad = [{ ...makeEvent('dev-group-bad', '2026-11-22T07:00:01Z', { rain_mm_h: 1 }), payload: { text: 'nul \u0000 inside' } }];
    const good2 = [makeEvent('dev-group-good-2', '2026-11-22T07:00:02Z', { rain_mm_h: 1 })];
    const outcomes = await Promise.allSettled([commit.write(incoming(good1)), commit.write(incoming(bad)), commit.write(incoming(good2))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows = await sql<{ device_id: string }>(
      db.url,
      "select device_id from readings where device_id like 'dev-group-good-%' or device_id = 'dev-group-bad' order by 1",
    );
    expect(rows.map((r) => r.device_id)).toEqual(['dev-group-good-1', 'dev-group-good-2']);
  });
});
