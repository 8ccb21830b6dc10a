/**
 * Leases on the shared rate-limit window: a process takes up to `maxLease` requests of a principal's budget from
 * Redis in one call and spends them locally, so a busy principal costs one Redis round trip per lease instead of
 * one per request. The leased requests are counted in Redis when they are taken, so replicas together never admit
 * more than the limit; what a lease does not spend within `lifetimeMs` is dropped (counted, never admitted), which
 * only errs on the strict side. A lease lives far shorter than the window, so every admitted request falls inside
 * the window that counted it.
 *
 * The size adapts to the principal's pace on this process: it doubles (up to `maxLease`) each time a lease is spent
 * before it expires and falls back to what was spent when one expires, so a quiet principal leases one request at a
 * time and wastes nothing. Concurrent requests that find the lease empty share one Redis call, one call at a time per
 * principal: that bounds a principal to `maxLease` requests per Redis round trip in one process (64 per ~1 ms at
 * most, and at least 60 times the limit's average rate, since a lease is at most 1/1000 of the limit per minute).
 * With `maxLease` 1 there is no lease: every request is its own Redis call, concurrent ones side by side.
 */
import type { RateDecision } from './rate-limit';

/** What the shared window granted: `granted` requests (0: over the limit), counted in Redis already. */
export interface WindowGrant {
  granted: number;
  /** Requests left in the window after this grant. */
  remaining: number;
  /** Seconds until capacity frees (granted: until the oldest counted second leaves the window). */
  resetSeconds: number;
}

export type TakeFromWindow = (key: string, wanted: number) => Promise<WindowGrant>;

interface Lease {
  left: number;
  /** The window's `remaining` when the lease was granted (the lease's own requests already subtracted). */
  remainingAfter: number;
  resetSeconds: number;
  expiresAt: number;
  granted: number;
  /** Target size of the next lease. */
  nextSize: number;
  /** Requests waiting for `refill`. */
  waiting: number;
  refill?: Promise<WindowGrant>;
}

const maxTrackedPrincipals = 100_000;

export class RateLimitLeases {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly maxLease: number,
    private readonly takeFromWindow: TakeFromWindow,
    private readonly lifetimeMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxLease) || maxLease < 1) throw new RangeError(`maxLease must be a positive integer, got ${maxLease}`);
  }

  /** Admits or refuses one request of `key`. Rejects when the shared window cannot be reached (the caller degrades). */
  async take(key: string): Promise<RateDecision> {
    // Leases of one: every request is its own window call, concurrent ones side by side (not one at a time).
    if (this.maxLease === 1) {
      const grant = await this.takeFromWindow(key, 1);
      return { allowed: grant.granted > 0, remaining: grant.remaining, resetSeconds: grant.resetSeconds };
    }
    let lease = this.leases.get(key);
    if (!lease) {
      if (this.leases.size >= maxTrackedPrincipals) this.leases.clear(); // bounded memory; a cleared lease is only unspent budget
      lease = { left: 0, remainingAfter: 0, resetSeconds: 0, expiresAt: 0, granted: 0, nextSize: 1, waiting: 0 };
      this.leases.set(key, lease);
    }
    for (;;) {
      const spent = this.spend(lease);
      if (spent) return spent;
      if (!lease.refill) lease.refill = this.refill(key, lease);
      lease.waiting += 1;
      let grant: WindowGrant;
      try {
        grant = await lease.refill;
      } finally {
        lease.waiting -= 1;
      }
      if (grant.granted === 0) return { allowed: false, remaining: 0, resetSeconds: grant.resetSeconds };
      // Granted: spend from it on the next turn (or, if the other waiters emptied it, ask again).
    }
  }

  private spend(lease: Lease): RateDecision | undefined {
    if (lease.left === 0 || lease.expiresAt <= this.now()) return undefined;
    lease.left -= 1;
    return { allowed: true, remaining: lease.remainingAfter + lease.left, resetSeconds: lease.resetSeconds };
  }

  private async refill(key: string, lease: Lease): Promise<WindowGrant> {
    try {
      if (lease.granted > 0) {
        const spentAll = lease.left === 0;
        lease.nextSize = spentAll ? Math.min(this.maxLease, lease.nextSize * 2) : Math.max(1, lease.granted - lease.left);
      }
      // Enough for everyone already waiting (this call's own request included), within the bound.
      const wanted = Math.min(this.maxLease, Math.max(lease.nextSize, lease.waiting + 1));
      const grant = await this.takeFromWindow(key, wanted);
      lease.left = grant.granted;
      lease.granted = grant.granted;
      lease.remainingAfter = grant.remaining;
      lease.resetSeconds = grant.resetSeconds;
      lease.expiresAt = this.now() + this.lifetimeMs;
      return grant;
    } finally {
      lease.refill = undefined;
    }
  }
}
