/** RFC 9457 problem details: the one shape every HTTP error of the API takes, with stable `type` URIs. */
import type { Response } from 'express';

const base = 'https://floodgate.dev/problems/';

export const problemTypes = {
  validation: { type: `${base}validation`, title: 'The request is not valid' },
  malformedBody: { type: `${base}malformed-body`, title: 'The body is not well-formed JSON' },
  malformedRequest: { type: `${base}malformed-request`, title: 'The request is not well-formed HTTP' },
  headersTooLarge: { type: `${base}headers-too-large`, title: 'The request headers are too large' },
  requestTimeout: { type: `${base}request-timeout`, title: 'The request took too long to arrive' },
  unsupportedMediaType: { type: `${base}unsupported-media-type`, title: 'The content type is not supported' },
  payloadTooLarge: { type: `${base}payload-too-large`, title: 'The body is too large' },
  unauthenticated: { type: `${base}unauthenticated`, title: 'Authentication is required' },
  forbidden: { type: `${base}forbidden`, title: 'The principal may not do this' },
  notFound: { type: `${base}not-found`, title: 'Not found' },
  conflict: { type: `${base}conflict`, title: 'The request conflicts with the current state' },
  rateLimited: { type: `${base}rate-limited`, title: 'Too many requests' },
  ingestUnavailable: { type: `${base}ingest-unavailable`, title: 'Events cannot be made durable right now' },
  dependencyUnavailable: { type: `${base}dependency-unavailable`, title: 'A backing service is unavailable' },
  shuttingDown: { type: `${base}shutting-down`, title: 'The server is shutting down' },
  internal: { type: `${base}internal`, title: 'Internal error' },
} as const;

export type ProblemKind = keyof typeof problemTypes;

/** A problem a handler throws; the error middleware renders it. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

export function sendProblem(
  res: Response,
  status: number,
  kind: ProblemKind,
  detail: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  const { type, title } = problemTypes[kind];
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  const requestId = res.getHeader('x-request-id');
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type, title, status, detail, instance: res.req.originalUrl.split('?')[0], ...(requestId ? { requestId } : {}), ...extensions }));
}
