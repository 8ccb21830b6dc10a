/**
 * RateLimitLeases against a fake shared window (an in-memory counter standing in for the Redis script): a busy
 * principal costs one window call per lease, not per request; replicas sharing the window never admit more than the
 * limit; an unspent lease is dropped after its lifetime; a quiet principal leases one request at a time.
 */
import { maxLeaseFor, type RateDecision } from '../../src/rate-limit';
import { RateLimitLeases, type TakeFromWindow } from '../../src/rate-limit-leases';

/** Fake shared window: counts what it grants, as the Lua script does within one window. */
function fakeWindow(limit: number) {
  const calls: number[] = [];
  let counted = 0;
  const take: TakeFromWindow = async (_key, wanted) => {
    calls.push(wanted);
    await Promise.resolve(); // a round trip: callers interleave as they would on Redis
    const granted = Math.max(0, Math.min(wanted, limit - counted));
    counted += granted;
    return { granted, remaining: limit - counted, resetSeconds: granted > 0 ? 60 : 7 };
  };
  return { take, calls, counted: () => counted };
}

const admitted = (decisions: { allowed: boolean }[]) => decisions.filter((d) => d.allowed).length;

describe('leases on the shared rate-limit window', () => {
  it('sizes leases at most 1/1000 of the limit and at most RATE_LIMIT_LEASE_MAX, so the default limit counts every request', () => {
    expect(maxLeaseFor(1000, 64)).toBe(1);
    expect(maxLeaseFor(10, 64)).toBe(1);
    expect(maxLeaseFor(50_000, 64)).toBe(50);
    expect(maxLeaseFor(1_000_000_000, 64)).toBe(64);
    expect(maxLeaseFor(1_000_000_000, 1)).toBe(1);
  });

  it('with leases of one, asks the window for every request and admits exactly the limit', async () => {
    const window = fakeWindow(5);
    const leases = new RateLimitLeases(1, window.take);
    const decisions = [];
    for (let i = 0; i < 7; i++) decisions.push(await leases.take('p'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(decisions.slice(0, 5).map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
    expect(decisions[5]).toEqual({ allowed: false, remaining: 0, resetSeconds: 7 });
    expect(window.calls).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('with leases of one, sends concurrent requests to the window side by side, not one at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const take: TakeFromWindow = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return { granted: 1, remaining: 100, resetSeconds: 60 };
    };
    const leases = new RateLimitLeases(1, take);
    const decisions = await Promise.all(Array.from({ length: 20 }, () => leases.take('p')));
    expect(admitted(decisions)).toBe(20);
    expect(most).toBe(20);
  });

  it('grows the lease while a busy principal spends it, so 1,000 requests cost about 20 window calls', async () => {
    const window = fakeWindow(1_000_000);
    const leases = new RateLimitLeases(64, window.take, 1000, () => 0);
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 1000; i++) decisions.push(await leases.take('p'));
    expect(admitted(decisions)).toBe(1000);
    expect(window.calls.slice(0, 8)).toEqual([1, 2, 4, 8, 16, 32, 64, 64]);
    expect(window.calls.length).toBe(7 + Math.ceil((1000 - 127) / 64));
    // The window counted what was leased: the admitted requests and the unspent rest of the last lease.
    expect(window.counted()).toBe(window.calls.reduce((a, b) => a + b, 0));
    // RateLimit-Remaining counts down through a lease as it would request by request.
    const [secondLast, last] = decisions.slice(-2) as [RateDecision, RateDecision];
    expect(secondLast.remaining - last.remaining).toBe(1);
    expect(last.remaining).toBe(1_000_000 - 1000);
  });

  it('lets concurrent requests that find the lease empty share one window call per lease', async () => {
    const window = fakeWindow(1_000_000);
    const leases = new RateLimitLeases(64, window.take, 1000, () => 0);
    const decisions = await Promise.all(Array.from({ length: 256 }, () => leases.take('p')));
    expect(admitted(decisions)).toBe(256);
    // The first call asks for one (nothing known yet); the next ones for everyone still waiting, up to the bound.
    expect(window.calls).toEqual([1, 64, 64, 64, 63]);
  });

  it('never lets replicas sharing the window admit more than the limit, and holds back at most a lease each', async () => {
    const limit = 5_000;
    const lease = 50;
    const window = fakeWindow(limit);
    const replicas = [0, 1, 2].map(() => new RateLimitLeases(lease, window.take, 1000, () => 0));
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const decisions: RateDecision[] = [];
    for (let wave = 0; wave < 300; wave++) {
      // Bursts of up to 40 concurrent requests, each landing on a random replica.
      const n = 1 + Math.floor(random() * 40);
      decisions.push(...(await Promise.all(Array.from({ length: n }, () => replicas[Math.floor(random() * 3)]!.take('gateway')))));
    }
    expect(decisions.length).toBeGreaterThan(limit);
    expect(admitted(decisions)).toBeLessThanOrEqual(limit);
    expect(admitted(decisions)).toBeGreaterThanOrEqual(limit - 3 * lease);
    expect(window.counted()).toBe(limit);
  });

  it('drops a lease unspent after its lifetime and leases only what was spent next time', async () => {
    let now = 0;
    const window = fakeWindow(1_000_000);
    const leases = new RateLimitLeases(64, window.take, 1000, () => now);
    for (let i = 0; i < 1 + 2 + 4 + 1; i++) await leases.take('p'); // leases of 1, 2, 4, then 8 of which 1 is spent
    expect(window.calls).toEqual([1, 2, 4, 8]);
    now += 1000; // the lease of 8 expires with 7 unspent
    await leases.take('p');
    expect(window.calls).toEqual([1, 2, 4, 8, 1]);
  });

  it('answers every request waiting on a refused refill with the window’s reset, in one call', async () => {
    const window = fakeWindow(0);
    const leases = new RateLimitLeases(64, window.take);
    const decisions = await Promise.all(Array.from({ length: 10 }, () => leases.take('p')));
    expect(decisions).toEqual(Array.from({ length: 10 }, () => ({ allowed: false, remaining: 0, resetSeconds: 7 })));
    expect(window.calls).toEqual([1]);
  });

  it('fails every waiter when the window cannot be reached, and asks again on the next request', async () => {
    let down = true;
    const window = fakeWindow(100_000);
    const take: TakeFromWindow = async (key, wanted) => {
      if (down) throw new Error('connect ECONNREFUSED');
      return window.take(key, wanted);
    };
    const leases = new RateLimitLeases(64, take);
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => leases.take('p')));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    down = false;
    await expect(leases.take('p')).resolves.toMatchObject({ allowed: true });
  });

  it('keeps a budget per principal', async () => {
    const window = fakeWindow(1_000_000);
    const leases = new RateLimitLeases(64, window.take, 1000, () => 0);
    await leases.take('a');
    await leases.take('b');
    expect(window.calls).toEqual([1, 1]);
  });

  it('refuses a lease size that is not a positive integer', () => {
    expect(() => new RateLimitLeases(0, fakeWindow(1).take)).toThrow(/maxLease/);
  });
});
