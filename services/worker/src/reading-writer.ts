/**
 * Makes a batch of events durable in one PostgreSQL transaction on the primary: the readings stored by COPY (or,
 * when the batch was seen before, by a set-based INSERT that skips the duplicates by the primary key), the devices'
 * latest state moved forward only by a newer (event time, event id), and alert evaluation over the readings that
 * were new. Returns what changed, so the cache is written with exactly what the database holds: a device the upsert
 * moved holds the event it was given, stored at the transaction's now(); any other device is read back.
 */
import type pg from 'pg';
import { deviceCacheEntryColumns, deviceCacheEntryFromRow, deviceCacheEntryOfEvent, type DeviceCacheEntry, type DeviceCacheEntryRow } from '@floodgate/cache';
import type { DeviceEvent } from '@floodgate/events';
import type { AlertRule } from './alert-engine';
import { applyAlerts, type AlertMessage } from './alert-store';
import { copyRows, ingestTimeIso, READINGS_COPY } from './readings-copy';

export interface IncomingEvent {
  event: DeviceEvent;
  /** From the floodgate-ingest-time header (ms), when present. */
  ingestTimeMs?: number;
}

export interface WriteResult {
  stored: number;
  duplicates: number;
  /**
   * The database's latest state of every device in the batch, after this transaction, in the cache's form (its JSON
   * built by PostgreSQL).
   */
  cacheEntries: DeviceCacheEntry[];
  alerts: AlertMessage[];
  /** Commit time (ms), for end-to-end latency. */
  committedAt: number;
}

// The fallback when COPY met a reading that exists (a redelivered batch). The batch travels as ONE json parameter,
// parsed once by the server (json_to_recordset): cheaper than a text array literal per column.
const INSERT_READINGS = `
INSERT INTO readings (device_id, event_id, ts, metrics, payload, ingested_at)
SELECT x.d, x.e, x.t, x.m, x.p, x.i FROM json_to_recordset($1::json) AS x(d text, e uuid, t timestamptz, m jsonb, p jsonb, i timestamptz)
ON CONFLICT DO NOTHING
RETURNING device_id, event_id::text`;

// One row per device (its newest event in the batch), sorted by device id so concurrent transactions lock in the
// same order. The WHERE orders states by (event time, event id), exactly as the cache's compare-and-set does. It
// returns only the ids of the devices it moved: their state is the event the worker holds, stored at the
// transaction's now() (see deviceCacheEntryOfEvent). Building that JSON in PostgreSQL (json_build_object, to_char) cost
// the backend about 10 µs a device, several times what JavaScript spends on it.
// The rows come as one array per column (unnest), not as one JSON document (json_to_recordset), which parsed every
// metrics object twice, as json and then as jsonb: the backend's CPU per event of a 1,000-device transaction fell from
// 16.3-20.9 to 13.3-15.8 µs (bench/tools/worker-transaction-latency.ts 1000 300, four runs each, alternating).
const UPSERT_DEVICES = `
INSERT INTO devices AS d (device_id, last_event_id, last_ts, metrics, payload)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::jsonb[], $5::jsonb[])
ON CONFLICT (device_id) DO UPDATE
   SET last_event_id = excluded.last_event_id, last_ts = excluded.last_ts, metrics = excluded.metrics,
       payload = excluded.payload, updated_at = now()
 WHERE (excluded.last_ts, excluded.last_event_id) > (d.last_ts, d.last_event_id)
RETURNING device_id`;

// Devices whose state this batch did not move (the database already had newer): their current state is read back,
// because a retry after a failed cache write must still write the cache with what the database holds.
const READ_DEVICES = `
SELECT ${deviceCacheEntryColumns} FROM devices WHERE device_id = ANY($1::text[])`;

const eventKey = (e: IncomingEvent) => `${e.event.deviceId}\u0000${e.event.eventId}`;

/** Each part's share of one transaction's outcome (see ReadingWriter.writeGroup). */
function splitByPart(
  parts: IncomingEvent[][],
  owner: number[],
  isNew: (j: number) => boolean,
  states: DeviceCacheEntry[],
  alerts: AlertMessage[],
  committedAt: number,
): WriteResult[] {
  // stored: the unique events (owner = the part each was first seen in) that were new.
  const stored = parts.map(() => 0);
  owner.forEach((part, j) => {
    if (isNew(j)) stored[part]!++;
  });
  const alertOwner = new Map<string, number>();
  const results = parts.map((part, i) => {
    const devices = new Set<string>();
    for (const e of part) {
      devices.add(e.event.deviceId);
      if (!alertOwner.has(e.event.deviceId)) alertOwner.set(e.event.deviceId, i);
    }
    const result: WriteResult = { stored: stored[i]!, duplicates: part.length - stored[i]!, cacheEntries: [], alerts: [], committedAt };
    return { devices, result };
  });
  for (const entry of states) for (const r of results) if (r.devices.has(entry.deviceId)) r.result.cacheEntries.push(entry);
  for (const alert of alerts) results[alertOwner.get(alert.deviceId) ?? 0]?.result.alerts.push(alert);
  return results.map((r) => r.result);
}

/** PostgreSQL's unique_violation: COPY met a reading that is already stored. */
const UNIQUE_VIOLATION = '23505';

export interface ReadingWriterHooks {
  /** Called after COMMIT, before anything else happens (the crash-consistency test kills the process here). */
  afterCommit?: () => void;
}

export class ReadingWriter {
  constructor(
    private readonly pool: pg.Pool,
    private readonly rules: () => Promise<AlertRule[]>,
    private readonly hooks: ReadingWriterHooks = {},
  ) {}

  async write(batch: IncomingEvent[]): Promise<WriteResult> {
    return (await this.writeGroup([batch]))[0]!;
  }

  /**
   * Makes several batches (say the partition batches of one fetch) durable in ONE transaction, and returns each
   * batch's own result: its stored and duplicate counts, and the states and alerts of its devices. A device's
   * events come from one partition, so the parts normally share no device; if they do, every part with the device
   * gets its state (the cache write is a compare-and-set) and the first one its alerts.
   */
  async writeGroup(parts: IncomingEvent[][]): Promise<WriteResult[]> {
    // The same event twice (a producer retry) counts once; keep the first, and which part it came in.
    const seen = new Set<string>();
    const events: IncomingEvent[] = [];
    const keys: string[] = [];
    const owner: number[] = [];
    parts.forEach((part, i) => {
      for (const e of part) {
        const key = eventKey(e);
        if (seen.has(key)) continue;
        seen.add(key);
        events.push(e);
        keys.push(key);
        owner.push(i);
      }
    });
    const rules = await this.rules();
    const client = await this.pool.connect();
    let released = false;
    try {
      // Each event's metrics and payload as JSON (a missing payload as SQL NULL), once: for its COPY row and, if it is
      // its device's newest, for the upsert.
      const metricsJson = events.map((e) => JSON.stringify(e.event.metrics));
      const payloadJson = events.map((e) => (e.event.payload == null ? null : JSON.stringify(e.event.payload)));
      const { newKeys, nowMs } = await this.beginAndStoreReadings(client, events, metricsJson, payloadJson);

      // Each device's newest event by (event time, event id), the time parsed once per event.
      const newest = new Map<string, { event: DeviceEvent; at: number; j: number }>();
      events.forEach(({ event }, j) => {
        const at = Date.parse(event.ts);
        const seen = newest.get(event.deviceId);
        if (!seen || at > seen.at || (at === seen.at && event.eventId > seen.event.eventId)) newest.set(event.deviceId, { event, at, j });
      });
      const latestOnes = [...newest.values()].sort((a, b) => (a.event.deviceId < b.event.deviceId ? -1 : a.event.deviceId > b.event.deviceId ? 1 : 0));
      const latest = latestOnes.map((n) => n.event);
      // One array per column; the metrics and payloads as their JSON from above.
      const moved = await client.query<{ device_id: string }>(UPSERT_DEVICES, [
        latestOnes.map((n) => n.event.deviceId),
        latestOnes.map((n) => n.event.eventId),
        latestOnes.map((n) => n.event.ts),
        latestOnes.map((n) => metricsJson[n.j]!),
        latestOnes.map((n) => payloadJson[n.j] ?? null),
      ]);

      const isNew = (j: number) => newKeys === 'all' || newKeys.has(keys[j]!);
      const fresh = newKeys === 'all' ? events.map((e) => e.event) : events.filter((_, j) => isNew(j)).map((e) => e.event);
      const alerts = await applyAlerts(client, rules, fresh);

      // updated_at = now(), the transaction's start: the same for every device the upsert moved.
      const updatedAt = new Date(nowMs).toISOString();
      const states = moved.rows.map((r) => {
        const { event, at } = newest.get(r.device_id)!;
        return deviceCacheEntryOfEvent(event, at, updatedAt);
      });
      if (states.length < latest.length) {
        const movedIds = new Set(moved.rows.map((r) => r.device_id));
        const rest = latest.filter((e) => !movedIds.has(e.deviceId)).map((e) => e.deviceId);
        states.push(...(await client.query<DeviceCacheEntryRow>(READ_DEVICES, [rest])).rows.map(deviceCacheEntryFromRow));
      }
      await client.query('COMMIT');
      const committedAt = Date.now();
      this.hooks.afterCommit?.();
      return splitByPart(parts, owner, isNew, states, alerts, committedAt);
    } catch (err) {
      // A connection that failed mid-transaction is destroyed rather than returned to the pool.
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err as Error);
      released = true;
      throw err;
    } finally {
      if (!released) client.release();
    }
  }

  /**
   * Opens the transaction, stores the readings and returns the keys (device id, event id) of those that were not
   * stored before, or 'all', and the transaction's now() in ms (floored, as node-postgres reads a timestamptz). COPY in a savepoint first: when it succeeds, every reading was new. A unique violation
   * means part of the batch is a redelivery; the savepoint is rolled back and the deduplicating INSERT tells which
   * readings are new. On an idle link a small transaction's time is mostly round trips, so BEGIN and SAVEPOINT go in
   * one, and the savepoint is not released: the rest of the transaction runs inside it and COMMIT ends both.
   */
  private async beginAndStoreReadings(
    client: pg.PoolClient,
    events: IncomingEvent[],
    metricsJson: string[],
    payloadJson: (string | null)[],
  ): Promise<{ newKeys: Set<string> | 'all'; nowMs: number }> {
    const begun = (await client.query(
      'BEGIN; SAVEPOINT store_readings; SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS now_ms',
    )) as unknown as pg.QueryResult[];
    const nowMs = (begun[2]!.rows[0] as { now_ms: number }).now_ms;
    try {
      await copyRows(
        client,
        READINGS_COPY,
        events.map(({ event: e, ingestTimeMs }, j) => [e.deviceId, e.eventId, e.ts, metricsJson[j]!, payloadJson[j] ?? null, ingestTimeIso(ingestTimeMs)]),
      );
      return { newKeys: 'all', nowMs };
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await client.query('ROLLBACK TO SAVEPOINT store_readings');
    }
    const inserted = await client.query<{ device_id: string; event_id: string }>(INSERT_READINGS, [
      JSON.stringify(
        events.map(({ event: e, ingestTimeMs }) => ({
          d: e.deviceId,
          e: e.eventId,
          t: e.ts,
          m: e.metrics,
          p: e.payload ?? null,
          i: ingestTimeIso(ingestTimeMs),
        })),
      ),
    ]);
    return { newKeys: new Set(inserted.rows.map((r) => `${r.device_id}\u0000${r.event_id}`)), nowMs };
  }
}
