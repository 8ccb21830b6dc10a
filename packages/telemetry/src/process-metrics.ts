/**
 * Prometheus plumbing shared by the services: default process metrics registered exactly once per
 * registry (prom-client throws on a second registration, which a hot reload or two servers in one
 * test process would otherwise trigger), and the /metrics handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, register as globalRegistry, type Registry } from 'prom-client';

const withDefaults = new WeakSet<Registry>();

/** Registers prom-client's process and Node.js runtime metrics on `registry` unless already there. Returns true if it did. */
export function registerProcessMetrics(registry: Registry = globalRegistry, labels?: Record<string, string>): boolean {
  // Also covers metrics registered directly with collectDefaultMetrics (by a service, before this helper).
  if (withDefaults.has(registry) || registry.getSingleMetric('process_cpu_user_seconds_total')) {
    withDefaults.add(registry);
    return false;
  }
  collectDefaultMetrics(labels ? { register: registry, labels } : { register: registry });
  withDefaults.add(registry);
  return true;
}

/** A handler for GET /metrics that works with Express and with a bare node:http server. */
export function metricsHandler(registry: Registry = globalRegistry): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (_req, res) => {
    try {
      const body = await registry.metrics();
      res.statusCode = 200;
      res.setHeader('Content-Type', registry.contentType);
      res.end(body);
    } catch (err) {
      res.statusCode = 500;
      res.setHeader('Content-Type', 'application/problem+json');
      res.end(
        JSON.stringify({
          type: 'urn:floodgate:problem:metricsUnavailable',
          title: 'Metrics could not be collected',
          status: 500,
          detail: (err as Error).message,
        }),
      );
    }
  };
}
