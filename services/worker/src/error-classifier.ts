/**
 * Decides whether a failure is permanent (the message can never succeed: dead-letter it and move on) or transient
 * (a dependency is down or slow: retry with backoff, never dead-letter). Pure: looks only at the error.
 */
import { PoisonMessageError } from '@floodgate/events';

export type FailureClass = 'permanent' | 'transient';

export interface Classification {
  class: FailureClass;
  /** A short, stable reason for metrics labels and DLQ headers (no ids, no values). */
  reason: string;
}

/** SQLSTATE classes (first two characters) that mean the data itself is at fault. */
const permanentSqlClasses: Record<string, string> = {
  '22': 'pg_data_exception', // e.g. 22P05 a \u0000 in jsonb, 22008 a timestamp out of range
  '23': 'pg_integrity_violation',
  '42': 'pg_syntax_or_access', // a bug or a missing migration: not the message's fault, see below
};

/** Node socket errors: the network or the server is away. */
const transientCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL']);

export function classifyError(err: unknown): Classification {
  if (err instanceof PoisonMessageError) return { class: 'permanent', reason: 'poison_message' };
  const e = err as { code?: unknown; name?: unknown; message?: unknown; retriable?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && transientCodes.has(code)) return { class: 'transient', reason: 'connection' };
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const sqlClass = code.slice(0, 2);
    // 42xxx (undefined table/column, permission denied) would fail every message alike; dead-lettering the whole
    // stream over a deployment mistake is worse than waiting for the fix, so it is transient.
    if (sqlClass === '42') return { class: 'transient', reason: 'pg_schema' };
    // Readings use ON CONFLICT DO NOTHING, so a unique violation here comes from two transactions racing on the same
    // device (two workers during a rebalance both opening its alert): retrying re-reads the winner's state.
    if (code === '23505') return { class: 'transient', reason: 'pg_conflict' };
    const permanent = permanentSqlClasses[sqlClass];
    if (permanent) return { class: 'permanent', reason: permanent };
    if (sqlClass === '08') return { class: 'transient', reason: 'pg_connection' };
    if (sqlClass === '40') return { class: 'transient', reason: 'pg_conflict' }; // serialization failure, deadlock
    if (sqlClass === '53') return { class: 'transient', reason: 'pg_resources' };
    if (sqlClass === '57') return { class: 'transient', reason: 'pg_shutdown_or_timeout' }; // admin shutdown, statement timeout
    return { class: 'transient', reason: 'pg_other' };
  }
  const name = typeof e?.name === 'string' ? e.name : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/^KafkaJS/.test(name)) return { class: 'transient', reason: 'kafka' };
  if (
    /Connection terminated|connection timeout|timeout exceeded|Client has encountered a connection error|Connection is closed|ECONNREFUSED|socket hang up/i.test(
      message,
    )
  ) {
    return { class: 'transient', reason: 'connection' };
  }
  if (/redis|MaxRetriesPerRequest|Stream isn't writeable/i.test(name + ' ' + message)) return { class: 'transient', reason: 'redis' };
  // Unknown: retrying is the safe side. A message is dead-lettered only when we know it can never succeed;
  // the retry metric and the error log make a stuck partition visible.
  return { class: 'transient', reason: 'unknown' };
}
