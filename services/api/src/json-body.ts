/**
 * Reads a JSON request body defensively: only application/json, at most 1 MiB, strict
 * UTF-8 (invalid bytes are a 400, not silently replaced), no NaN/Infinity (JSON has
 * none), and a nesting limit, so hostile bodies get a clear 4xx and never reach a 5xx.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { jsonDepth, limits } from '@floodgate/events';
import { ProblemError } from './problem';

const raw = express.raw({ type: () => true, limit: limits.maxBodyBytes });
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

declare module 'express-serve-static-core' {
  interface Locals {
    json?: unknown;
  }
}

function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header
    .toLowerCase()
    .split(';')
    .map((s) => s.trim());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type ?? '')) return false;
  const charset = params.find((p) => p.startsWith('charset='));
  return !charset || charset.replace(/^charset="?|"?$/g, '') === 'utf-8';
}

export function jsonBody() {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!isJsonContentType(req.headers['content-type'])) {
      return next(new ProblemError(415, 'unsupportedMediaType', 'send the body as application/json (UTF-8)', {}, { Accept: 'application/json' }));
    }
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      const body = req.body as Buffer | undefined;
      if (!Buffer.isBuffer(body) || body.length === 0) return next(new ProblemError(400, 'malformedBody', 'the body is empty'));
      let text: string;
      try {
        text = utf8.decode(body);
      } catch {
        return next(new ProblemError(400, 'malformedBody', 'the body is not valid UTF-8'));
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (parseError) {
        return next(new ProblemError(400, 'malformedBody', `the body is not valid JSON: ${(parseError as Error).message.slice(0, 200)}`));
      }
      if (jsonDepth(value) > limits.maxJsonDepth)
        return next(new ProblemError(400, 'validation', `the body is nested deeper than ${limits.maxJsonDepth} levels`));
      res.locals.json = value;
      next();
    });
  };
}
