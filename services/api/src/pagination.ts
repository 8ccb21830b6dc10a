/** Keyset pagination: an opaque cursor holding the (time, id) of the last row of a page. */
import { z } from 'zod';
import { ProblemError } from './problem';

// What PostgreSQL's timestamptz takes from an ISO string: years 0001 to 9999, offsets within ±15:59. Times are
// checked against that range and passed on in UTC, so an RFC 3339 time the database refuses is a 400, not a 500.
const earliest = Date.parse('0001-01-01T00:00:00Z');
const latest = Date.parse('9999-12-31T23:59:59.999Z');
const storableTime = (message: string) =>
  z.iso
    .datetime({ offset: true, message })
    .refine((s) => Date.parse(s) >= earliest && Date.parse(s) <= latest, 'must be between 0001-01-01 and 9999-12-31 (UTC)')
    .transform((s) => new Date(s).toISOString());

const cursorSchema = z.object({ t: storableTime('invalid cursor'), id: z.uuid() });
export type Cursor = z.infer<typeof cursorSchema>;

export function encodeCursor(t: Date | string, id: string): string {
  return Buffer.from(JSON.stringify({ t: new Date(t).toISOString(), id })).toString('base64url');
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
  } catch {
    throw new ProblemError(400, 'validation', 'the cursor is not one this API returned', { errors: [{ pointer: '/query/cursor', message: 'invalid cursor' }] });
  }
}

/** Parses query parameters with a schema; a bad value is a 400 naming the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  throw new ProblemError(400, 'validation', 'invalid query parameters', {
    errors: result.error.issues.map((i) => ({ pointer: `/query/${i.path.join('/')}`, message: i.message })),
  });
}

export const limitParam = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);
export const timeParam = () => storableTime('must be an RFC 3339 date-time').optional();
