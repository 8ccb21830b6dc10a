import type { NextFunction, Request, Response } from 'express';
import { createApp, listRoutes, type AppDeps } from '../../src/app';
import { createMetrics } from '../../src/metrics';
import { openApiDocument } from '../../src/openapi';
import { createLogger } from '@floodgate/config';

// The route table does not depend on the clients, so this test builds the app with fakes that are never called.
const passThroughFake = { middleware: () => (_req: Request, _res: Response, next: NextFunction) => next() };
const fakeDeps = {
  logger: createLogger('openapi-test', 'silent'),
  metrics: createMetrics(),
  rateLimiter: passThroughFake,
  producer: { inflightEvents: 0 },
  monitor: { snapshot: () => ({}) },
  isShuttingDown: () => false,
  cacheFillTtlMs: 1000,
  retryAfterSeconds: 1,
  trustProxyHops: 0,
} as unknown as AppDeps;

describe('/openapi.json is true to the routes', () => {
  const app = createApp(fakeDeps);
  const served = listRoutes(app).map((r) => `${r.method.toUpperCase()} ${r.path}`);
  const doc = openApiDocument();
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));

  it('finds the routes of the app (so the comparison below is not vacuous)', () => {
    expect(served).toEqual(expect.arrayContaining(['POST /v1/events', 'GET /v1/devices/{id}', 'PUT /v1/alert-rules/{id}', 'GET /healthz']));
  });

  it('documents every route the app serves', () => {
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it('documents no route the app does not serve', () => {
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
  });

  it('describes the event with the schema that validates it, unknown fields refused', () => {
    const event = doc.components.schemas.Event as { required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(event.required.sort()).toEqual(['deviceId', 'metrics', 'ts']);
    expect(event.additionalProperties).toBe(false);
    expect(Object.keys(event.properties).sort()).toEqual(['deviceId', 'eventId', 'metrics', 'payload', 'ts']);
  });

  it('declares a problem response for every error status', () => {
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops) as { responses: Record<string, { content?: Record<string, unknown> }> }[]) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
        }
      }
    }
  });
});
