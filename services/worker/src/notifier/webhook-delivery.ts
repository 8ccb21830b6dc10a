/**
 * Delivers one alert message to one webhook: signed POST with a timeout, retried with backoff on network errors,
 * 408, 429 and 5xx; any other 4xx (or a refused target) is final. Returns the outcome, never throws for HTTP.
 */
import http from 'node:http';
import https from 'node:https';
import { backoffDelay, sleep, type BackoffPolicy } from '../backoff';
import { signatureHeader, signBody } from './webhook-signature';
import { checkTargetUrl, guardedLookup, TargetRefusedError } from './target-guard';

export interface DeliveryOptions {
  secret: string;
  timeoutMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  allowPrivate: boolean;
  signal?: AbortSignal;
  /** Called before each retry (metrics, logs). */
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

export type DeliveryOutcome =
  { delivered: true; attempts: number; status: number } | { delivered: false; attempts: number; reason: string; final: 'refused' | 'rejected' | 'exhausted' };

interface Attempt {
  status?: number;
  error?: Error;
}

function post(url: URL, body: string, headers: Record<string, string>, opts: DeliveryOptions): Promise<Attempt> {
  return new Promise((resolve) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: opts.timeoutMs,
        lookup: guardedLookup(opts.allowPrivate) as never,
      },
      (res) => {
        res.resume(); // the body is not needed; drain it so the socket is freed
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (error) => resolve({ error }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error }));
    req.end(body);
  });
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

export async function deliver(
  target: string,
  deliveryId: string,
  eventName: string,
  body: string,
  opts: DeliveryOptions,
  now = () => Date.now(),
): Promise<DeliveryOutcome> {
  let url: URL;
  try {
    url = checkTargetUrl(target, opts.allowPrivate);
  } catch (err) {
    return { delivered: false, attempts: 0, reason: (err as Error).message, final: 'refused' };
  }
  let reason = '';
  for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
    // A fresh timestamp and signature per attempt: receivers reject stale timestamps.
    const t = Math.floor(now() / 1000);
    const result = await post(
      url,
      body,
      {
        'content-type': 'application/json',
        'user-agent': 'floodgate-notifier',
        [signatureHeader]: signBody(opts.secret, body, t),
        'floodgate-delivery-id': deliveryId,
        'floodgate-event': eventName,
        'floodgate-attempt': String(attempt),
      },
      opts,
    );
    if (result.status !== undefined && result.status >= 200 && result.status < 300) return { delivered: true, attempts: attempt, status: result.status };
    if (result.error instanceof TargetRefusedError || (result.error as { code?: string } | undefined)?.code === 'EFORBIDDEN') {
      return { delivered: false, attempts: attempt, reason: result.error!.message, final: 'refused' };
    }
    if (result.status !== undefined && !retryable(result.status))
      return { delivered: false, attempts: attempt, reason: `HTTP ${result.status}`, final: 'rejected' };
    reason = result.error ? result.error.message : `HTTP ${result.status}`;
    if (attempt === opts.maxAttempts || opts.signal?.aborted) return { delivered: false, attempts: attempt, reason, final: 'exhausted' };
    const delay = backoffDelay(attempt, opts.backoff);
    opts.onRetry?.(attempt, reason, delay);
    await sleep(delay, opts.signal);
  }
  return { delivered: false, attempts: opts.maxAttempts, reason, final: 'exhausted' };
}
