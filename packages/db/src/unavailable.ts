/** Tells "the database cannot be reached right now" apart from every other database error. */

// SQLSTATE class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot
// connect now), 53300 (too many connections).
const unavailableSqlStates = /^(08|57P0[1-3]$|53300$)/;
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (unavailableCodes.has(e.code) || unavailableSqlStates.test(e.code))) return true;
  // node-postgres reports these as plain Errors without a code.
  return (
    typeof e.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message)
  );
}
