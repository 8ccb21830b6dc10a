/** The OpenAPI 3.1 document of the API; the event and rule schemas come from the zod schemas that validate them. */
import { z } from 'zod';
import { eventSchema, limits } from '@floodgate/events';
import { alertRuleSchema } from './routes/alert-rule-routes';
import { predictionRequestSchema } from './routes/prediction-route';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
const json = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });
const secured = { security: [{ bearer: [] }, { apiKey: [] }] };
const authErrors = {
  '401': problem('Missing or invalid credentials'),
  '403': problem('The role may not do this'),
  '429': problem('Rate limit reached (Retry-After, RateLimit-* headers)'),
};
const idParam = (description: string) => ({ name: 'id', in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, schema: Record<string, unknown>, description?: string) => ({
  name,
  in: 'query',
  required: false,
  schema,
  ...(description ? { description } : {}),
});

export function openApiDocument() {
  const event = jsonSchema(eventSchema);
  return {
    openapi: '3.1.0',
    info: { title: 'Floodgate API', version: '0.1.0', description: 'Durable device-event ingest and device, alert and risk reads.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Event: event,
        EventBatch: {
          type: 'object',
          additionalProperties: false,
          required: ['events'],
          properties: { events: { type: 'array', minItems: 1, maxItems: limits.maxBatchEvents, items: { $ref: '#/components/schemas/Event' } } },
        },
        AlertRule: jsonSchema(alertRuleSchema),
        PredictionRequest: jsonSchema(predictionRequestSchema),
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            requestId: { type: 'string' },
            errors: {
              type: 'array',
              items: { type: 'object', properties: { index: { type: 'integer' }, pointer: { type: 'string' }, message: { type: 'string' } } },
            },
          },
        },
      },
    },
    paths: {
      '/v1/events': {
        post: {
          summary: 'Ingest one event or a batch (all-or-nothing); 202 only after Kafka acknowledged',
          ...secured,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { oneOf: [{ $ref: '#/components/schemas/Event' }, { $ref: '#/components/schemas/EventBatch' }] } } },
          },
          responses: {
            '202': json('Durable in Kafka', {
              type: 'object',
              properties: { accepted: { type: 'integer' }, eventIds: { type: 'array', items: { type: 'string', format: 'uuid' } } },
            }),
            '400': problem('Invalid body; `errors` lists each bad index'),
            '413': problem(`Body larger than ${limits.maxBodyBytes} bytes`),
            '415': problem('Not application/json'),
            '503': problem('Kafka cannot take the write (Retry-After); retry with the same eventIds'),
            ...authErrors,
          },
        },
      },
      '/v1/devices/{id}': {
        get: {
          summary: 'Latest state of a device (Redis, read-through from a replica)',
          ...secured,
          parameters: [idParam('Device id')],
          responses: { '200': json('Latest state'), '400': problem('Invalid id'), '404': problem('No state yet'), ...authErrors },
        },
      },
      '/v1/devices/{id}/readings': {
        get: {
          summary: 'Reading history, newest first, keyset-paginated',
          ...secured,
          parameters: [
            idParam('Device id'),
            query('from', { type: 'string', format: 'date-time' }),
            query('to', { type: 'string', format: 'date-time' }),
            query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
            query('cursor', { type: 'string' }, 'nextCursor of the previous page'),
          ],
          responses: { '200': json('A page of readings'), '400': problem('Invalid query'), ...authErrors },
        },
      },
      '/v1/alerts': {
        get: {
          summary: 'Alerts, newest first, keyset-paginated',
          ...secured,
          parameters: [
            query('status', { enum: ['open', 'resolved'] }),
            query('severity', { enum: ['info', 'warning', 'critical'] }),
            query('deviceId', { type: 'string' }),
            query('since', { type: 'string', format: 'date-time' }),
            query('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
            query('cursor', { type: 'string' }),
          ],
          responses: { '200': json('A page of alerts'), '400': problem('Invalid query'), ...authErrors },
        },
      },
      '/v1/alerts/{id}/ack': {
        post: {
          summary: 'Acknowledge an alert (operator, admin); idempotent',
          ...secured,
          parameters: [idParam('Alert id (UUID)')],
          responses: { '200': json('The acknowledged alert'), '404': problem('No such alert'), ...authErrors },
        },
      },
      '/v1/alert-rules': {
        get: { summary: 'List alert rules', ...secured, responses: { '200': json('Rules'), ...authErrors } },
      },
      '/v1/alert-rules/{id}': {
        get: {
          summary: 'One alert rule',
          ...secured,
          parameters: [idParam('Rule id (UUID)')],
          responses: { '200': json('The rule'), '404': problem('No such rule'), ...authErrors },
        },
        put: {
          summary: 'Create or replace an alert rule (admin)',
          ...secured,
          parameters: [idParam('Rule id (UUID, chosen by the client)')],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AlertRule' } } } },
          responses: { '200': json('Replaced'), '201': json('Created'), '400': problem('Invalid rule'), '409': problem('Name taken'), ...authErrors },
        },
        delete: {
          summary: 'Delete an alert rule (admin)',
          ...secured,
          parameters: [idParam('Rule id (UUID)')],
          responses: { '204': { description: 'Deleted' }, '404': problem('No such rule'), ...authErrors },
        },
      },
      '/v1/predictions': {
        post: {
          summary: 'Landslide risk from recent rainfall (rainfall intensity-duration threshold: Guzzetti et al. 2008 or Caine 1980)',
          ...secured,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PredictionRequest' } } } },
          responses: { '200': json('The assessment per duration and the overall risk'), '400': problem('Invalid request'), ...authErrors },
        },
      },
      '/healthz': { get: { summary: 'Liveness, with dependency probe results', responses: { '200': json('Alive') } } },
      '/readyz': {
        get: { summary: 'Readiness of this process (not of its dependencies)', responses: { '200': json('Ready'), '503': problem('Shutting down') } },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': {} } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': json('OpenAPI 3.1') } } },
    },
  };
}
