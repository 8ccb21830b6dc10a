/**
 * The checker: after a fault has cleared and the workers have drained, proves that every
 * event answered 202 is stored exactly once, that no event refused with a definite error
 * is stored, and that each device's latest state, in PostgreSQL and in the Redis cache,
 * is its newest stored event by (event time, event id).
 */
import type Redis from 'ioredis';
import type pg from 'pg';
import type { Ledger, LedgerEvent } from '@floodgate/fleet-simulator';

export interface FaultReport {
  fault: string;
  sent: number;
  accepted: number;
  stored: number;
  duplicates: number;
  lost: number;
  rejectedButStored: number;
  undetermined: number;
  undeterminedStored: number;
  stateMismatches: number;
  cacheBehind: number;
  dlqAdded: number;
  recoverySeconds: number;
}

async function storedIds(db: pg.Pool, ids: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 5000) {
    const { rows } = await db.query<{ id: string; n: number }>(
      `select event_id::text as id, count(*)::int as n from readings where event_id = any($1::uuid[]) group by 1`,
      [ids.slice(i, i + 5000)],
    );
    for (const r of rows) counts.set(r.id, r.n);
  }
  return counts;
}

const newer = (a: { ts: string; eventId: string }, b: { ts: string; eventId: string }) => {
  const ta = Date.parse(a.ts);
  const tb = Date.parse(b.ts);
  return ta !== tb ? ta > tb : a.eventId > b.eventId;
};

export async function checkNoLoss(opts: {
  fault: string;
  ledger: Ledger;
  events: Map<string, LedgerEvent>;
  db: pg.Pool;
  redis: Redis;
  cachePrefix: string;
  dlqAdded: number;
  recoverySeconds: number;
}): Promise<FaultReport> {
  const { ledger, events, db } = opts;
  const all = [...events.keys()];
  const counts = await storedIds(db, all);
  const accepted = [...ledger.accepted];
  const stored = accepted.filter((id) => (counts.get(id) ?? 0) > 0).length;
  const duplicates = [...counts.values()].filter((n) => n > 1).length;
  const rejectedButStored = [...ledger.rejected].filter((id) => counts.has(id)).length;
  const undeterminedStored = [...ledger.undetermined].filter((id) => counts.has(id)).length;

  // Expected latest state per device: the newest of its events that are stored.
  const expected = new Map<string, LedgerEvent>();
  for (const [id, e] of events) {
    if (!counts.has(id)) continue;
    const best = expected.get(e.deviceId);
    if (!best || newer(e, best)) expected.set(e.deviceId, e);
  }
  const { rows } = await db.query<{ device_id: string; last_event_id: string; last_ts: Date }>(
    `select device_id, last_event_id::text, last_ts from devices where device_id = any($1::text[])`,
    [[...expected.keys()]],
  );
  let stateMismatches = 0;
  let cacheBehind = 0;
  const byDevice = new Map(rows.map((r) => [r.device_id, r]));
  for (const [deviceId, e] of expected) {
    const row = byDevice.get(deviceId);
    if (!row || row.last_event_id !== e.eventId || row.last_ts.getTime() !== Date.parse(e.ts)) stateMismatches++;
    const cached = await opts.redis.hget(`${opts.cachePrefix}:device:${deviceId}`, 'state');
    if (cached) {
      const c = JSON.parse(cached) as { ts: string; eventId: string };
      if (newer(e, c)) cacheBehind++; // the cache may be empty (a miss is fine), never older
    }
  }
  return {
    fault: opts.fault,
    sent: events.size,
    accepted: accepted.length,
    stored,
    duplicates,
    lost: accepted.length - stored,
    rejectedButStored,
    undetermined: ledger.undetermined.size,
    undeterminedStored,
    stateMismatches,
    cacheBehind,
    dlqAdded: opts.dlqAdded,
    recoverySeconds: Math.round(opts.recoverySeconds * 10) / 10,
  };
}

export function renderReports(reports: FaultReport[]): string {
  const cols: (keyof FaultReport)[] = [
    'fault',
    'sent',
    'accepted',
    'stored',
    'duplicates',
    'lost',
    'rejectedButStored',
    'undetermined',
    'undeterminedStored',
    'stateMismatches',
    'cacheBehind',
    'dlqAdded',
    'recoverySeconds',
  ];
  const head = `| ${cols.join(' | ')} |\n|${cols.map(() => ' --- ').join('|')}|`;
  return [head, ...reports.map((r) => `| ${cols.map((c) => String(r[c])).join(' | ')} |`)].join('\n');
}
