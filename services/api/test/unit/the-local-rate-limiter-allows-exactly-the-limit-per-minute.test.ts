import { LocalWindowLimiter } from '../../src/rate-limit';

describe('the per-process limiter used while Redis is down', () => {
  it('allows exactly the limit within any 60 s and frees capacity as seconds leave the window', () => {
    let now = Date.parse('2026-11-23T10:00:00.000Z');
    const limiter = new LocalWindowLimiter(5, () => now);
    const results = Array.from({ length: 5 }, () => limiter.take('p'));
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0]);
    expect(results.every((r) => r.allowed)).toBe(true);
    now += 30_000;
    const sixth = limiter.take('p');
    expect(sixth).toEqual({ allowed: false, remaining: 0, resetSeconds: 30 });
    expect(limiter.take('other').allowed).toBe(true); // budgets are per principal
    now += 29_999;
    expect(limiter.take('p').allowed).toBe(false);
    now += 1;
    expect(limiter.take('p').allowed).toBe(true);
  });
});
