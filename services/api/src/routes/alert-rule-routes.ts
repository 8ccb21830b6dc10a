/** Threshold alert rules (admin writes, viewers read): list, get, create-or-replace by id, delete. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type pg from 'pg';
import { metricNamePattern } from '@floodgate/events';
import { permissions, requireRole } from '../auth/authorize';
import { jsonBody } from '../json-body';
import { ProblemError } from '../problem';
import { uuidParam } from './alert-routes';

export interface AlertRuleDeps {
  primary: pg.Pool;
  replica: pg.Pool;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const alertRuleSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    metric: z.string().regex(metricNamePattern, 'metric names are lower_snake_case'),
    direction: z.enum(['above', 'below']),
    levels: z
      .array(z.strictObject({ severity: z.enum(['info', 'warning', 'critical']), threshold: finite }))
      .min(1)
      .max(3),
    /** Hysteresis: an open alert resolves when the value crosses back past this. */
    clearThreshold: finite,
    /** Glob on the device id (`*` any run, `?` one character); null or absent matches every device. */
    deviceSelector: z.string().min(1).max(200).nullable().optional(),
    enabled: z.boolean().default(true),
    description: z.string().max(2000).nullable().optional(),
    /** Where the thresholds come from (a paper, an agency's guideline). */
    source: z.string().max(2000).nullable().optional(),
  })
  .superRefine((rule, ctx) => {
    const severities = rule.levels.map((l) => l.severity);
    if (new Set(severities).size !== severities.length) ctx.addIssue({ code: 'custom', path: ['levels'], message: 'each severity may appear once' });
    const thresholds = rule.levels.map((l) => l.threshold);
    if (rule.direction === 'above' && rule.clearThreshold >= Math.min(...thresholds)) {
      ctx.addIssue({ code: 'custom', path: ['clearThreshold'], message: 'must be below the lowest threshold for direction "above"' });
    }
    if (rule.direction === 'below' && rule.clearThreshold <= Math.max(...thresholds)) {
      ctx.addIssue({ code: 'custom', path: ['clearThreshold'], message: 'must be above the highest threshold for direction "below"' });
    }
  });

interface RuleRow {
  id: string;
  name: string;
  metric: string;
  direction: string;
  levels: unknown;
  clear_threshold: number;
  device_selector: string | null;
  enabled: boolean;
  description: string | null;
  source: string | null;
  created_at: Date;
  updated_at: Date;
}

const columns = 'id, name, metric, direction, levels, clear_threshold, device_selector, enabled, description, source, created_at, updated_at';

function ruleJson(r: RuleRow) {
  return {
    id: r.id,
    name: r.name,
    metric: r.metric,
    direction: r.direction,
    levels: r.levels,
    clearThreshold: r.clear_threshold,
    deviceSelector: r.device_selector,
    enabled: r.enabled,
    description: r.description,
    source: r.source,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function alertRuleRoutes(deps: AlertRuleDeps): Router {
  const router = Router();

  // Rules are few and edited by people who expect to see their change at once: read them from the primary.
  router.get('/v1/alert-rules', requireRole(permissions.read), async (_req: Request, res: Response) => {
    const { rows } = await deps.primary.query<RuleRow>(`SELECT ${columns} FROM alert_rules ORDER BY name`);
    res.json({ rules: rows.map(ruleJson) });
  });

  router.get('/v1/alert-rules/:id', requireRole(permissions.read), async (req: Request, res: Response) => {
    const id = uuidParam(req);
    const row = (await deps.primary.query<RuleRow>(`SELECT ${columns} FROM alert_rules WHERE id = $1`, [id])).rows[0];
    if (!row) throw new ProblemError(404, 'notFound', `no alert rule ${id}`);
    res.json(ruleJson(row));
  });

  router.put('/v1/alert-rules/:id', requireRole(permissions.manageRules), jsonBody(), async (req: Request, res: Response) => {
    const id = uuidParam(req);
    const parsed = alertRuleSchema.safeParse(res.locals.json);
    if (!parsed.success) {
      throw new ProblemError(400, 'validation', 'the alert rule is not valid', {
        errors: parsed.error.issues.map((i) => ({ pointer: `/${i.path.join('/')}`, message: i.message })),
      });
    }
    const r = parsed.data;
    try {
      const { rows } = await deps.primary.query<RuleRow & { inserted: boolean }>(
        `INSERT INTO alert_rules (id, name, metric, direction, levels, clear_threshold, device_selector, enabled, description, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, metric = EXCLUDED.metric, direction = EXCLUDED.direction, levels = EXCLUDED.levels,
           clear_threshold = EXCLUDED.clear_threshold, device_selector = EXCLUDED.device_selector, enabled = EXCLUDED.enabled,
           description = EXCLUDED.description, source = EXCLUDED.source, updated_at = now()
         RETURNING ${columns}, (xmax = 0) AS inserted`,
        [
          id,
          r.name,
          r.metric,
          r.direction,
          JSON.stringify(r.levels),
          r.clearThreshold,
          r.deviceSelector ?? null,
          r.enabled,
          r.description ?? null,
          r.source ?? null,
        ],
      );
      const row = rows[0]!;
      res.status(row.inserted ? 201 : 200).json(ruleJson(row));
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ProblemError(409, 'conflict', `another rule is already named ${JSON.stringify(r.name)}`);
      throw err;
    }
  });

  router.delete('/v1/alert-rules/:id', requireRole(permissions.manageRules), async (req: Request, res: Response) => {
    const id = uuidParam(req);
    const { rowCount } = await deps.primary.query('DELETE FROM alert_rules WHERE id = $1', [id]);
    if (!rowCount) throw new ProblemError(404, 'notFound', `no alert rule ${id}`);
    res.status(204).end();
  });

  return router;
}
