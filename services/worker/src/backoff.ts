/** Exponential backoff with full jitter (pure): the delay before retry number `attempt` (1-based). */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Full jitter (a uniform draw in [0, min(max, base * 2^(attempt-1))]) spreads the retries of many workers that
 * failed together, so a recovering database is not hit by all of them in the same instant. `random` is injectable
 * for tests. The floor of base/2 keeps a retry from firing immediately.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  const floor = Math.min(policy.baseMs / 2, ceiling);
  return Math.round(floor + random() * (ceiling - floor));
}

/** Resolves after `ms`, or at once when `signal` aborts (shutdown must not wait out a long backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
