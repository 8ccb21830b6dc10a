/** /healthz (alive, with dependency details), /readyz (this process can serve), /metrics, /openapi.json. */
import { Router, type Request, type Response } from 'express';
import type { DependencyMonitor } from '../dependency-monitor';
import type { ApiMetrics } from '../metrics';
import { sendProblem } from '../problem';

export interface HealthDeps {
  monitor: DependencyMonitor;
  metrics: ApiMetrics;
  isShuttingDown: () => boolean;
  openapi: () => unknown;
  producerInflight: () => number;
}

export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'alive', dependencies: deps.monitor.snapshot(), producer: { inflightEvents: deps.producerInflight() } });
  });
  router.get('/readyz', (_req: Request, res: Response) => {
    if (deps.isShuttingDown()) return sendProblem(res, 503, 'shuttingDown', 'the server is draining; send new requests elsewhere');
    res.json({ status: 'ready' });
  });
  router.get('/metrics', async (_req: Request, res: Response) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  router.get('/openapi.json', (_req: Request, res: Response) => {
    res.json(deps.openapi());
  });
  return router;
}
