/** Express wiring: request ids, security headers, metrics, public health routes, then authenticated /v1 routes and the problem renderer. */
import { isDatabaseUnavailable } from '@floodgate/db';
import crypto from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type pg from 'pg';
import type { DeviceCache } from '@floodgate/cache';
import type { Logger } from '@floodgate/config';
import type { ApiKeyVerifier } from './auth/api-keys';
import { authenticate } from './auth/authorize';
import type { AuthFailureLimiter } from './auth/auth-failure-limiter';
import type { JwtVerifier } from './auth/jwt-verifier';
import type { BatchingProducer } from './batching-producer';
import type { DependencyMonitor } from './dependency-monitor';
import type { ApiMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { ProblemError, sendProblem } from './problem';
import type { RateLimiter } from './rate-limit';
import { alertRoutes } from './routes/alert-routes';
import { alertRuleRoutes } from './routes/alert-rule-routes';
import { deviceRoutes } from './routes/device-routes';
import { healthRoutes } from './routes/health-routes';
import { ingestRoutes } from './routes/ingest-route';
import { predictionRoutes } from './routes/prediction-route';

export interface AppDeps {
  logger: Logger;
  metrics: ApiMetrics;
  jwt: JwtVerifier;
  apiKeys: ApiKeyVerifier;
  rateLimiter: RateLimiter;
  /** Failed authentications per address (absent: not limited). */
  authFailures?: AuthFailureLimiter;
  producer: BatchingProducer;
  primary: pg.Pool;
  replica: pg.Pool;
  cache: DeviceCache;
  monitor: DependencyMonitor;
  cacheFillTtlMs: number;
  retryAfterSeconds: number;
  trustProxyHops: number;
  isShuttingDown: () => boolean;
}

const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** Sent with every response (also the parser-level problems of client-errors.ts). */
export const securityHeaders: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', deps.trustProxyHops);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    res.setHeader('X-Request-Id', typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID());
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    if (deps.isShuttingDown()) res.setHeader('Connection', 'close');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The route template, never the raw path: device ids must not become label values.
      const route = req.route?.path ? String(req.route.path) : 'unmatched';
      deps.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      deps.metrics.httpDuration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  const document = openApiDocument();
  app.use(
    healthRoutes({
      monitor: deps.monitor,
      metrics: deps.metrics,
      isShuttingDown: deps.isShuttingDown,
      openapi: () => document,
      producerInflight: () => deps.producer.inflightEvents,
    }),
  );

  app.use('/v1', authenticate(deps.jwt, deps.apiKeys, deps.authFailures), deps.rateLimiter.middleware());
  app.use(ingestRoutes({ producer: deps.producer, metrics: deps.metrics, retryAfterSeconds: deps.retryAfterSeconds }));
  app.use(deviceRoutes({ replica: deps.replica, cache: deps.cache, cacheFillTtlMs: deps.cacheFillTtlMs, metrics: deps.metrics, logger: deps.logger }));
  app.use(alertRoutes({ primary: deps.primary, replica: deps.replica }));
  app.use(alertRuleRoutes({ primary: deps.primary, replica: deps.replica }));
  app.use(predictionRoutes({ replica: deps.replica }));

  app.use((req: Request, res: Response) => sendProblem(res, 404, 'notFound', `no route for ${req.method} ${req.path}`));

  // Express recognises the error handler by its four parameters.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ProblemError) return sendProblem(res, err.status, err.kind, err.detail, err.extensions, err.headers);
    // The router could not percent-decode a path parameter (`/v1/devices/%ZZ`): the client's mistake, not ours.
    if (err instanceof URIError)
      return sendProblem(res, 400, 'validation', 'the path is not valid percent-encoding', {
        errors: [{ pointer: '/path', message: 'invalid percent-encoding' }],
      });
    const bodyError = err as { type?: string; status?: number; expose?: boolean; message?: string };
    if (bodyError.type === 'entity.too.large') return sendProblem(res, 413, 'payloadTooLarge', 'the body is larger than 1 MiB; split the batch');
    if (bodyError.type === 'request.aborted' || bodyError.type === 'request.size.invalid')
      return sendProblem(res, 400, 'malformedBody', 'the body was not received completely');
    if (bodyError.type === 'encoding.unsupported' || bodyError.type === 'charset.unsupported')
      return sendProblem(res, 415, 'unsupportedMediaType', 'the body must be UTF-8 JSON, uncompressed or gzip, deflate or br encoded');
    if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500 && bodyError.expose) {
      return sendProblem(res, bodyError.status, 'malformedBody', bodyError.message ?? 'bad request');
    }
    if (isDatabaseUnavailable(err)) {
      deps.logger.warn({ err: (err as Error).message, method: req.method, route: req.route?.path }, 'database unavailable');
      return sendProblem(res, 503, 'dependencyUnavailable', 'the database cannot be reached right now; retry later', undefined, {
        'Retry-After': String(deps.retryAfterSeconds),
      });
    }
    deps.logger.error({ err, method: req.method, route: req.route?.path, requestId: res.getHeader('x-request-id') }, 'request failed');
    // Never the stack or the message: they can leak internals. The request id finds the log line.
    sendProblem(res, 500, 'internal', 'the request failed on the server; quote the requestId when reporting it');
  });

  return app;
}

export interface RouteEntry {
  method: string;
  /** OpenAPI form: `/v1/devices/{id}`. */
  path: string;
}

/** Every route the app serves, walked from Express's router stack (for the test that keeps /openapi.json true). */
export function listRoutes(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') out.push({ method, path: layer.route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}') });
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}
