/** Direct PostgreSQL access for integration tests: rows the worker would write, and waiting for the replica to see them. */
import pg from 'pg';

export function pools() {
  return {
    primary: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 3 }),
    replica: new pg.Pool({ connectionString: process.env.DATABASE_READ_URL ?? process.env.DATABASE_URL, max: 3 }),
  };
}

/** Streaming replication is asynchronous: poll the replica until `sql` returns a row. */
export async function untilReplicaHas(replica: pg.Pool, sql: string, params: unknown[], ms = 15000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await replica.query(sql, params)).rowCount) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the replica did not see the row within ${ms} ms: ${sql}`);
}

export async function insertDevice(primary: pg.Pool, deviceId: string, eventId: string, ts: string, metrics: Record<string, number>): Promise<void> {
  await primary.query(
    `INSERT INTO devices (device_id, last_event_id, last_ts, metrics) VALUES ($1, $2, $3, $4)
     ON CONFLICT (device_id) DO UPDATE SET last_event_id = EXCLUDED.last_event_id, last_ts = EXCLUDED.last_ts, metrics = EXCLUDED.metrics, updated_at = now()`,
    [deviceId, eventId, ts, JSON.stringify(metrics)],
  );
}

export async function insertReadings(
  primary: pg.Pool,
  deviceId: string,
  readings: { eventId: string; ts: string; metrics: Record<string, number> }[],
): Promise<void> {
  await primary.query(
    `INSERT INTO readings (device_id, event_id, ts, metrics) SELECT $1, r.event_id, r.ts, r.metrics FROM jsonb_to_recordset($2::jsonb) AS r(event_id uuid, ts timestamptz, metrics jsonb)`,
    [deviceId, JSON.stringify(readings.map((r) => ({ event_id: r.eventId, ts: r.ts, metrics: r.metrics })))],
  );
}
