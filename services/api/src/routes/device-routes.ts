/**
 * Device reads: latest state from Redis, filled on a miss from a read replica through the
 * same compare-and-set the worker uses (so a stale replica can never overwrite a newer
 * state), and reading history from the replica with keyset pagination.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type pg from 'pg';
import { deviceStateColumns, deviceStateFromRow, type DeviceCache, type DeviceRow, type DeviceState } from '@floodgate/cache';
import { deviceIdPattern } from '@floodgate/events';
import type { Logger } from '@floodgate/config';
import { permissions, requireRole } from '../auth/authorize';
import type { ApiMetrics } from '../metrics';
import { decodeCursor, encodeCursor, limitParam, parseQuery, timeParam } from '../pagination';
import { ProblemError } from '../problem';

export interface DeviceDeps {
  replica: pg.Pool;
  cache: DeviceCache;
  cacheFillTtlMs: number;
  metrics: ApiMetrics;
  logger: Logger;
}

export function deviceIdParam(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !deviceIdPattern.test(id))
    throw new ProblemError(400, 'validation', 'the device id is not valid', { errors: [{ pointer: '/path/id', message: 'invalid device id' }] });
  return id;
}

const readingsQuery = z.object({ from: timeParam(), to: timeParam(), limit: limitParam(100, 1000), cursor: z.string().max(512).optional() });

/**
 * Reads the device's state from the replica and offers it to the cache. The replica may lag
 * behind what the worker already put in Redis; the compare-and-set then keeps the newer state,
 * and that newer state is what the caller gets.
 */
export async function fillFromReplica(deps: DeviceDeps, id: string): Promise<DeviceState | undefined> {
  const { rows } = await deps.replica.query<DeviceRow>(`SELECT ${deviceStateColumns} FROM devices WHERE device_id = $1`, [id]);
  const row = rows[0];
  if (!row) return undefined;
  const state = deviceStateFromRow(row);
  try {
    // Not written means Redis already holds a state at least as new (the worker got there first): answer with that one.
    if (!(await deps.cache.writeIfNewer(state, deps.cacheFillTtlMs))) return (await deps.cache.read(id)) ?? state;
  } catch (err) {
    deps.logger.debug({ err: (err as Error).message }, 'device cache fill failed');
  }
  return state;
}

export function deviceRoutes(deps: DeviceDeps): Router {
  const router = Router();

  async function readCached(id: string): Promise<DeviceState | undefined> {
    try {
      return await deps.cache.read(id);
    } catch (err) {
      // Redis down: the replica still answers, a little slower.
      deps.logger.debug({ err: (err as Error).message }, 'device cache read failed');
      return undefined;
    }
  }

  router.get('/v1/devices/:id', requireRole(permissions.read), async (req: Request, res: Response) => {
    const id = deviceIdParam(req);
    const cached = await readCached(id);
    if (cached) {
      deps.metrics.cacheRequests.inc({ result: 'hit' });
      res.setHeader('X-Cache', 'hit');
      res.json(cached);
      return;
    }
    deps.metrics.cacheRequests.inc({ result: 'miss' });
    const state = await fillFromReplica(deps, id);
    if (!state) throw new ProblemError(404, 'notFound', `no state for device ${id} yet`);
    res.setHeader('X-Cache', 'miss');
    res.json(state);
  });

  router.get('/v1/devices/:id/readings', requireRole(permissions.read), async (req: Request, res: Response) => {
    const id = deviceIdParam(req);
    const q = parseQuery(readingsQuery, req.query);
    const cursor = decodeCursor(q.cursor);
    const params: unknown[] = [id];
    const where = ['device_id = $1'];
    if (q.from) where.push(`ts >= $${params.push(q.from)}`);
    if (q.to) where.push(`ts < $${params.push(q.to)}`);
    if (cursor) where.push(`(ts, event_id) < ($${params.push(cursor.t)}, $${params.push(cursor.id)}::uuid)`);
    const { rows } = await deps.replica.query<{ event_id: string; ts: Date; metrics: Record<string, number>; payload: Record<string, unknown> | null }>(
      `SELECT event_id, ts, metrics, payload FROM readings WHERE ${where.join(' AND ')} ORDER BY ts DESC, event_id DESC LIMIT $${params.push(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({
      deviceId: id,
      readings: page.map((r) => ({ eventId: r.event_id, ts: r.ts.toISOString(), metrics: r.metrics, ...(r.payload ? { payload: r.payload } : {}) })),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.ts, last.event_id) : null,
    });
  });

  return router;
}
