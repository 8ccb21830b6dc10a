/**
 * Per-principal rate limit: at most N requests in any 60-second window, counted in
 * one-second buckets of a Redis hash by a Lua script (atomic across API replicas, time
 * from the Redis server so replicas' clocks do not matter). The bucket count bounds the
 * memory per principal whatever the limit. A principal with a high limit is served from
 * short leases on that window (rate-limit-leases.ts: one Redis call per lease, not per
 * request); with the default limit every request is counted on its own. If Redis is
 * unreachable, each process applies the same algorithm on its own and the
 * floodgate_rate_limit_degraded gauge says so.
 */
import type { NextFunction, Request, Response } from 'express';
import type Redis from 'ioredis';
import type { Logger } from '@floodgate/config';
import { ProblemError } from './problem';
import type { ApiMetrics } from './metrics';
import { principalOf } from './auth/authorize';
import { RateLimitLeases, type WindowGrant } from './rate-limit-leases';

const windowSeconds = 60;

// KEYS[1] = bucket hash; ARGV = window seconds, limit, requests wanted. Counts and returns
// {granted (0 when over the limit), remaining after the grant, seconds until capacity frees}.
const SCRIPT = `
local now = tonumber(redis.call('TIME')[1])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
local buckets = {}
for i = 1, #fields, 2 do
  local second = tonumber(fields[i])
  local count = tonumber(fields[i + 1])
  if second <= now - window then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    total = total + count
    buckets[#buckets + 1] = { second, count }
  end
end
table.sort(buckets, function(a, b) return a[1] < b[1] end)
local reset = window
if #buckets > 0 then reset = buckets[1][1] + window - now end
if total < limit then
  local granted = math.min(wanted, limit - total)
  redis.call('HINCRBY', KEYS[1], now, granted)
  redis.call('EXPIRE', KEYS[1], window + 1)
  return { granted, limit - total - granted, reset }
end
local freed = 0
for _, b in ipairs(buckets) do
  freed = freed + b[2]
  if total - freed < limit then return { 0, 0, b[1] + window - now } end
end
return { 0, 0, window }
`;

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until at least one more request is allowed (allowed: until the oldest counted second leaves the window). */
  resetSeconds: number;
}

/** The same one-second-bucket window kept in process memory; used while Redis is down. */
export class LocalWindowLimiter {
  private readonly buckets = new Map<string, Map<number, number>>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): RateDecision {
    const second = Math.floor(this.now() / 1000);
    let counts = this.buckets.get(key);
    if (!counts) {
      if (this.buckets.size >= 100_000) this.buckets.clear(); // bounded memory beats exactness while degraded
      counts = new Map();
      this.buckets.set(key, counts);
    }
    let total = 0;
    let oldest = second;
    for (const [s, c] of counts) {
      if (s <= second - windowSeconds) counts.delete(s);
      else {
        total += c;
        oldest = Math.min(oldest, s);
      }
    }
    if (total < this.limit) {
      counts.set(second, (counts.get(second) ?? 0) + 1);
      return { allowed: true, remaining: this.limit - total - 1, resetSeconds: oldest + windowSeconds - second };
    }
    let freed = 0;
    for (const s of [...counts.keys()].sort((a, b) => a - b)) {
      freed += counts.get(s)!;
      if (total - freed < this.limit) return { allowed: false, remaining: 0, resetSeconds: s + windowSeconds - second };
    }
    return { allowed: false, remaining: 0, resetSeconds: windowSeconds };
  }
}

type LimiterRedis = Redis & {
  floodgateRateWindow(key: string, window: string, limit: string, wanted: string): Promise<[number, number, number]>;
};

/**
 * The largest lease for a limit: at most 1/1000 of it (so the default 1,000/minute counts every request in Redis, and a
 * replica can hold back at most 0.1 % of a principal's budget), and at most `leaseMax` (RATE_LIMIT_LEASE_MAX).
 */
export function maxLeaseFor(limit: number, leaseMax: number): number {
  return Math.max(1, Math.min(leaseMax, Math.floor(limit / 1000)));
}

export class RateLimiter {
  private readonly redis: LimiterRedis;
  private readonly local: LocalWindowLimiter;
  private readonly leases: RateLimitLeases;
  private degraded = false;

  /** `leaseMax` 1 (the default) counts every request in Redis; see maxLeaseFor for larger values. */
  constructor(
    redis: Redis,
    private readonly limit: number,
    private readonly prefix: string,
    private readonly metrics: ApiMetrics,
    private readonly logger: Logger,
    leaseMax = 1,
  ) {
    if (!('floodgateRateWindow' in redis)) redis.defineCommand('floodgateRateWindow', { numberOfKeys: 1, lua: SCRIPT });
    this.redis = redis as LimiterRedis;
    this.local = new LocalWindowLimiter(limit);
    this.leases = new RateLimitLeases(maxLeaseFor(limit, leaseMax), (key, wanted) => this.takeFromWindow(key, wanted));
    metrics.rateLimitDegraded.set(0);
  }

  private async takeFromWindow(principalKey: string, wanted: number): Promise<WindowGrant> {
    const [granted, remaining, reset] = await this.redis.floodgateRateWindow(
      `${this.prefix}:ratelimit:${principalKey}`,
      String(windowSeconds),
      String(this.limit),
      String(wanted),
    );
    this.setDegraded(false);
    return { granted, remaining, resetSeconds: Math.max(1, reset) };
  }

  async take(principalKey: string): Promise<RateDecision> {
    try {
      return await this.leases.take(principalKey);
    } catch (err) {
      this.setDegraded(true, err);
      return this.local.take(principalKey);
    }
  }

  middleware() {
    return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const principal = principalOf(res);
        const decision = await this.take(principal.keyId ? `key:${principal.keyId}` : `sub:${principal.role}:${principal.subject}`);
        res.setHeader('RateLimit-Policy', `${this.limit};w=${windowSeconds}`);
        res.setHeader('RateLimit-Limit', String(this.limit));
        res.setHeader('RateLimit-Remaining', String(decision.remaining));
        res.setHeader('RateLimit-Reset', String(decision.resetSeconds));
        if (decision.allowed) return next();
        next(
          new ProblemError(
            429,
            'rateLimited',
            `at most ${this.limit} requests per minute per principal; retry in ${decision.resetSeconds} s`,
            {},
            { 'Retry-After': String(decision.resetSeconds) },
          ),
        );
      } catch (err) {
        next(err);
      }
    };
  }

  private setDegraded(degraded: boolean, err?: unknown): void {
    if (degraded === this.degraded) return;
    this.degraded = degraded;
    this.metrics.rateLimitDegraded.set(degraded ? 1 : 0);
    if (degraded) this.logger.warn({ err: (err as Error)?.message }, 'Redis unreachable: rate limiting per process until it returns');
    else this.logger.info('Redis reachable again: rate limiting is shared again');
  }
}
