/** POST /v1/predictions: landslide risk for a device from its recent rainfall readings (replica). */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type pg from 'pg';
import { deviceIdPattern, metricNamePattern } from '@floodgate/events';
import { permissions, requireRole } from '../auth/authorize';
import { jsonBody } from '../json-body';
import { assessLandslideRisk, defaultDurationsHours, thresholds } from '../landslide-risk';
import { ProblemError } from '../problem';

export const predictionRequestSchema = z.strictObject({
  deviceId: z.string().regex(deviceIdPattern, 'invalid device id'),
  /** The metric holding rainfall intensity in mm/h. */
  metric: z.string().regex(metricNamePattern).default('rain_mm_h'),
  model: z.enum(['guzzetti-2008', 'caine-1980']).default('guzzetti-2008'),
  /** Assess as of this time (default: now). */
  asOf: z.iso.datetime({ offset: true }).optional(),
});

export function predictionRoutes(deps: { replica: pg.Pool }): Router {
  const router = Router();
  router.post('/v1/predictions', requireRole(permissions.read), jsonBody(), async (_req: Request, res: Response) => {
    const parsed = predictionRequestSchema.safeParse(res.locals.json);
    if (!parsed.success) {
      throw new ProblemError(400, 'validation', 'the prediction request is not valid', {
        errors: parsed.error.issues.map((i) => ({ pointer: `/${i.path.join('/')}`, message: i.message })),
      });
    }
    const q = parsed.data;
    const asOfMs = q.asOf ? Date.parse(q.asOf) : Date.now();
    const longest = Math.max(...defaultDurationsHours);
    // One extra hour so the sample that was raining when the window opened counts.
    const { rows } = await deps.replica.query<{ ts: Date; v: number | null }>(
      `SELECT ts, (metrics ->> $2)::double precision AS v FROM readings WHERE device_id = $1 AND ts >= $3 AND ts <= $4 AND metrics ? $2 ORDER BY ts LIMIT 20000`,
      [q.deviceId, q.metric, new Date(asOfMs - (longest + 1) * 3_600_000), new Date(asOfMs)],
    );
    const samples = rows.flatMap((r) => (r.v === null ? [] : [{ tsMs: r.ts.getTime(), intensityMmH: r.v }]));
    const model = thresholds[q.model];
    const assessment = assessLandslideRisk(samples, asOfMs, model);
    res.json({
      deviceId: q.deviceId,
      metric: q.metric,
      asOf: new Date(asOfMs).toISOString(),
      model: { id: model.id, a: model.a, b: model.b, source: model.source },
      ...assessment,
    });
  });
  return router;
}
