/**
 * Failed authentications per client address: after `limit` failures in any 60 s (counted in Redis by the same
 * window as the request rate limit, so shared by every API replica), the address gets `429` before its credentials
 * are even looked at, until the window frees a slot. This caps how fast one address can guess keys or tokens, and
 * how many API-key lookups on the primary unauthenticated traffic can cause. Successful requests are not counted.
 *
 * The block itself is kept in this process (a Map lookup per request, no Redis round trip on the hot path): a
 * replica learns it from the first failure it counts over the limit, so each further replica allows at most one
 * more attempt. The address is Express's `req.ip`: behind an ingress, set TRUST_PROXY_HOPS so that it is the
 * client's, not the proxy's.
 */
import type { RateDecision } from '../rate-limit';

export interface FailureCounter {
  take(key: string): Promise<RateDecision>;
}

export interface FailureVerdict {
  blocked: boolean;
  /** Seconds until the address may try again (only when blocked). */
  retryAfterSeconds: number;
}

const maxTrackedAddresses = 100_000;

export class AuthFailureLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly counter: FailureCounter,
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the address is blocked right now (no I/O). */
  check(address: string): FailureVerdict {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return { blocked: false, retryAfterSeconds: 0 };
    const left = until - this.now();
    if (left <= 0) {
      this.blockedUntil.delete(address);
      return { blocked: false, retryAfterSeconds: 0 };
    }
    return { blocked: true, retryAfterSeconds: Math.ceil(left / 1000) };
  }

  /** Counts one failed authentication; says whether the address is now over its limit. */
  async recordFailure(address: string): Promise<FailureVerdict> {
    const decision = await this.counter.take(`authfail:${address}`);
    if (decision.allowed) return { blocked: false, retryAfterSeconds: 0 };
    if (this.blockedUntil.size >= maxTrackedAddresses) this.blockedUntil.clear(); // bounded memory under a flood
    const seconds = Math.max(1, decision.resetSeconds);
    this.blockedUntil.set(address, this.now() + seconds * 1000);
    return { blocked: true, retryAfterSeconds: seconds };
  }
}
