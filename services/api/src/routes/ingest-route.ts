/**
 * POST /v1/events: one event or {"events": [...]}, validated all-or-nothing, produced
 * to Kafka keyed by deviceId, answered 202 only after Kafka acknowledged every event.
 */
import { Router, type Request, type Response } from 'express';
import { encodeEventMessages, limits, validateEvent, type DeviceEvent, type EventProblem } from '@floodgate/events';
import { permissions, principalOf, requireRole } from '../auth/authorize';
import { BatchingProducer, IngestUnavailableError } from '../batching-producer';
import { newEventId } from '../event-ids';
import { jsonBody } from '../json-body';
import type { ApiMetrics } from '../metrics';
import { ProblemError } from '../problem';
import { ingestTraceContext } from '../trace-context';

export interface IngestDeps {
  producer: BatchingProducer;
  metrics: ApiMetrics;
  retryAfterSeconds: number;
}

/** Splits the body into its events, or says why its envelope is wrong. */
export function eventsOf(body: unknown): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProblemError(400, 'validation', 'the body must be one event object or {"events": [...]}');
  }
  if (!('events' in body)) return [body];
  const envelope = body as Record<string, unknown>;
  const extra = Object.keys(envelope).filter((k) => k !== 'events');
  if (extra.length) throw new ProblemError(400, 'validation', `a batch has only the field "events"; unknown: ${extra.slice(0, 5).join(', ')}`);
  const events = envelope.events;
  if (!Array.isArray(events)) throw new ProblemError(400, 'validation', '"events" must be an array');
  if (events.length === 0) throw new ProblemError(400, 'validation', '"events" is empty');
  if (events.length > limits.maxBatchEvents)
    throw new ProblemError(400, 'validation', `a batch holds at most ${limits.maxBatchEvents} events, this one has ${events.length}`);
  return events;
}

export function ingestRoutes(deps: IngestDeps): Router {
  const router = Router();
  router.post('/v1/events', requireRole(permissions.writeEvents), jsonBody(), async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const inputs = eventsOf(res.locals.json);
    const now = Date.now();
    const events: DeviceEvent[] = [];
    const problems: EventProblem[] = [];
    inputs.forEach((input, index) => {
      const result = validateEvent(input, index, newEventId, now);
      if (result.ok) events.push(result.event);
      else problems.push(...result.problems);
    });
    if (problems.length) {
      deps.metrics.ingestEvents.inc({ outcome: 'rejected' }, inputs.length);
      throw new ProblemError(400, 'validation', `${new Set(problems.map((p) => p.index)).size} of ${inputs.length} events are invalid; nothing was accepted`, {
        errors: problems.slice(0, 100),
      });
    }
    if (principal.role === 'device') {
      const foreign = events.flatMap((e, index) => (e.deviceId === principal.subject ? [] : [index]));
      if (foreign.length) {
        deps.metrics.ingestEvents.inc({ outcome: 'rejected' }, inputs.length);
        throw new ProblemError(403, 'forbidden', `a device may only write its own deviceId (${principal.subject}); nothing was accepted`, {
          errors: foreign.slice(0, 100).map((index) => ({ index, pointer: '/deviceId', message: 'is not the authenticated device' })),
        });
      }
    }
    const trace = ingestTraceContext(req.headers.traceparent as string | undefined, req.headers.tracestate as string | undefined);
    const principalName = `${principal.role}:${principal.subject}`;
    const messages = encodeEventMessages(events, now, principalName, trace.headers);
    try {
      await deps.producer.send(messages);
    } catch (err) {
      if (!(err instanceof IngestUnavailableError)) throw err;
      deps.metrics.ingestEvents.inc({ outcome: err.written === 'no' ? 'unavailable' : 'undetermined' }, events.length);
      throw new ProblemError(
        503,
        'ingestUnavailable',
        `${err.message}. Retry with the same eventIds: a retried event is stored once.`,
        { written: err.written, eventIds: events.map((e) => e.eventId) },
        { 'Retry-After': String(deps.retryAfterSeconds) },
      );
    }
    deps.metrics.ingestEvents.inc({ outcome: 'accepted' }, events.length);
    res.status(202).json({ accepted: events.length, eventIds: events.map((e) => e.eventId) });
  });
  return router;
}
