/** Alerts: list from the read replica (filters, keyset pagination) and acknowledge on the primary. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type pg from 'pg';
import { deviceIdPattern } from '@floodgate/events';
import { permissions, principalOf, requireRole } from '../auth/authorize';
import { decodeCursor, encodeCursor, limitParam, parseQuery, timeParam } from '../pagination';
import { ProblemError } from '../problem';

export interface AlertDeps {
  primary: pg.Pool;
  replica: pg.Pool;
}

export interface AlertRow {
  id: string;
  rule_id: string;
  device_id: string;
  metric: string;
  status: string;
  severity: string;
  opened_at: Date;
  resolved_at: Date | null;
  last_value: number;
  peak_value: number;
  last_event_id: string;
  last_event_ts: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

const columns =
  'id, rule_id, device_id, metric, status, severity, opened_at, resolved_at, last_value, peak_value, last_event_id, last_event_ts, acknowledged_at, acknowledged_by';

export function alertJson(r: AlertRow) {
  return {
    id: r.id,
    ruleId: r.rule_id,
    deviceId: r.device_id,
    metric: r.metric,
    status: r.status,
    severity: r.severity,
    openedAt: r.opened_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    lastValue: r.last_value,
    peakValue: r.peak_value,
    lastEventId: r.last_event_id,
    lastEventTs: r.last_event_ts.toISOString(),
    acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: r.acknowledged_by,
  };
}

const listQuery = z.object({
  status: z.enum(['open', 'resolved']).optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  deviceId: z.string().regex(deviceIdPattern, 'invalid device id').optional(),
  since: timeParam(),
  limit: limitParam(50, 500),
  cursor: z.string().max(512).optional(),
});

export function uuidParam(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !z.uuid().safeParse(id).success)
    throw new ProblemError(400, 'validation', 'the id must be a UUID', { errors: [{ pointer: '/path/id', message: 'must be a UUID' }] });
  return id.toLowerCase();
}

export function alertRoutes(deps: AlertDeps): Router {
  const router = Router();

  router.get('/v1/alerts', requireRole(permissions.read), async (req: Request, res: Response) => {
    const q = parseQuery(listQuery, req.query);
    const cursor = decodeCursor(q.cursor);
    const params: unknown[] = [];
    const where: string[] = [];
    if (q.status) where.push(`status = $${params.push(q.status)}`);
    if (q.severity) where.push(`severity = $${params.push(q.severity)}`);
    if (q.deviceId) where.push(`device_id = $${params.push(q.deviceId)}`);
    if (q.since) where.push(`opened_at >= $${params.push(q.since)}`);
    if (cursor) where.push(`(opened_at, id) < ($${params.push(cursor.t)}, $${params.push(cursor.id)}::uuid)`);
    const { rows } = await deps.replica.query<AlertRow>(
      `SELECT ${columns} FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT $${params.push(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({ alerts: page.map(alertJson), nextCursor: rows.length > q.limit && last ? encodeCursor(last.opened_at, last.id) : null });
  });

  // Acknowledging is idempotent: a second ack returns the alert as first acknowledged.
  router.post('/v1/alerts/:id/ack', requireRole(permissions.ackAlerts), async (req: Request, res: Response) => {
    const id = uuidParam(req);
    const principal = principalOf(res);
    const client = await deps.primary.connect();
    try {
      await client.query('BEGIN');
      const updated = await client.query<AlertRow>(
        `UPDATE alerts SET acknowledged_at = now(), acknowledged_by = $2, updated_at = now() WHERE id = $1 AND acknowledged_at IS NULL RETURNING ${columns}`,
        [id, `${principal.role}:${principal.subject}`],
      );
      let row = updated.rows[0];
      if (row) {
        await client.query(`INSERT INTO alert_transitions (alert_id, kind, severity) VALUES ($1, 'acknowledged', $2)`, [id, row.severity]);
      } else {
        row = (await client.query<AlertRow>(`SELECT ${columns} FROM alerts WHERE id = $1`, [id])).rows[0];
      }
      await client.query('COMMIT');
      if (!row) throw new ProblemError(404, 'notFound', `no alert ${id}`);
      res.json(alertJson(row));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  });

  return router;
}
