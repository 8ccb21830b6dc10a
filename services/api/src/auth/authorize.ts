/** Express middleware: authenticate (Bearer JWT or X-API-Key) and check the principal's role. */
import type { NextFunction, Request, Response } from 'express';
import { ProblemError } from '../problem';
import type { ApiKeyVerifier } from './api-keys';
import type { AuthFailureLimiter } from './auth-failure-limiter';
import type { JwtVerifier } from './jwt-verifier';
import { AuthenticationError, type Principal, type Role } from './principal';

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
  }
}

const challenge = { 'WWW-Authenticate': 'Bearer realm="floodgate"' };

/** `failures`, when given, answers 429 to an address with too many failed authentications (auth-failure-limiter.ts). */
export function authenticate(jwt: JwtVerifier, apiKeys: ApiKeyVerifier, failures?: AuthFailureLimiter) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const authorization = req.headers.authorization;
    const apiKey = req.headers['x-api-key'];
    // req.ip walks X-Forwarded-For through the trust-proxy rules: only worth it when failures are limited.
    const address = failures ? (req.ip ?? req.socket.remoteAddress ?? 'unknown') : '';
    if (failures) {
      const verdict = failures.check(address);
      if (verdict.blocked) return next(tooManyFailures(failures.limit, verdict.retryAfterSeconds));
    }
    try {
      if (authorization !== undefined) {
        const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization);
        if (!match) throw new AuthenticationError('the Authorization header must be "Bearer <token>"');
        res.locals.principal = await jwt.verify(match[1]!);
      } else if (typeof apiKey === 'string') {
        res.locals.principal = await apiKeys.verify(apiKey);
      } else {
        throw new AuthenticationError('send a bearer token (Authorization: Bearer <JWT>) or an API key (X-API-Key)');
      }
      next();
    } catch (err) {
      if (!(err instanceof AuthenticationError)) return next(err);
      if (failures) {
        try {
          const verdict = await failures.recordFailure(address);
          if (verdict.blocked) return next(tooManyFailures(failures.limit, verdict.retryAfterSeconds));
        } catch (countError) {
          return next(countError);
        }
      }
      next(new ProblemError(401, 'unauthenticated', err.reason, {}, challenge));
    }
  };
}

function tooManyFailures(limit: number, retryAfterSeconds: number): ProblemError {
  return new ProblemError(
    429,
    'rateLimited',
    `more than ${limit} failed authentications per minute from this address; retry in ${retryAfterSeconds} s`,
    {},
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

/** Roles allowed for each kind of operation. */
export const permissions = {
  writeEvents: ['device', 'gateway', 'admin'],
  read: ['viewer', 'operator', 'admin'],
  ackAlerts: ['operator', 'admin'],
  manageRules: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export function requireRole(allowed: readonly Role[]) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = res.locals.principal;
    if (!principal) return next(new ProblemError(401, 'unauthenticated', 'authentication is required', {}, challenge));
    if (!allowed.includes(principal.role))
      return next(new ProblemError(403, 'forbidden', `the role ${principal.role} may not do this (allowed: ${allowed.join(', ')})`));
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal;
  if (!principal) throw new ProblemError(401, 'unauthenticated', 'authentication is required', {}, challenge);
  return principal;
}
