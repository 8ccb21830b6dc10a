import { h2loadArgs, parseH2loadLog } from '../../harness/paced-http';

const arg = (args: string[], name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('h2loadArgs', () => {
  it('offers the rate over all connections, for the duration, with the headers', () => {
    const args = h2loadArgs({ ratePerSecond: 6000, connections: 64, seconds: 10, headers: { authorization: 'Bearer t' } }, '/tmp/u', '/tmp/l');
    expect(args).toContain('--h1');
    expect(Number(arg(args, 'clients'))).toBe(64);
    expect(Number(arg(args, 'rps')) * 64).toBeCloseTo(6000, 0);
    expect(Number(arg(args, 'requests'))).toBe(66_000); // 10 s counted after 1 s of warm-up
    expect(arg(args, 'input-file')).toBe('/tmp/u');
    expect(arg(args, 'log-file')).toBe('/tmp/l');
    expect(arg(args, 'header')).toBe('authorization: Bearer t');
  });

  it.each([
    [6000, 64],
    [500, 64],
    [20_000, 16],
    [1, 1],
  ])('opens the connections over about one send interval (%d req/s, %d connections)', (rate, connections) => {
    const args = h2loadArgs({ ratePerSecond: rate, connections, seconds: 1 }, 'u', 'l');
    expect(arg(args, 'rate-period')).toBe('1ms');
    const perMs = Number(arg(args, 'rate'));
    const intervalMs = (connections / rate) * 1000;
    const openingMs = Math.ceil(connections / perMs);
    // Not all at once (their timers would fire together), and not much slower than one interval.
    expect(openingMs).toBeLessThanOrEqual(Math.max(1, Math.ceil(intervalMs)));
    if (intervalMs >= 2 && connections > 1) expect(openingMs).toBeGreaterThan(1);
  });

  it('refuses a rate below 1, a connection count that is not a positive integer and a header with a line break', () => {
    expect(() => h2loadArgs({ ratePerSecond: 0, connections: 4, seconds: 1 }, 'u', 'l')).toThrow('ratePerSecond must be at least 1, got 0');
    expect(() => h2loadArgs({ ratePerSecond: 10, connections: 2.5, seconds: 1 }, 'u', 'l')).toThrow('connections must be a positive integer, got 2.5');
    expect(() => h2loadArgs({ ratePerSecond: 10, connections: 1, seconds: 1, headers: { x: 'a\r\nb: c' } }, 'u', 'l')).toThrow('header x has a line break');
  });
});

describe('parseH2loadLog', () => {
  it('gives exact percentiles of the 2xx latencies and counts every status', () => {
    // 100 answers of 1..100 ms sent over 99 ms, one 503 and one request without an answer (-1).
    const lines = Array.from({ length: 100 }, (_, i) => `${1_700_000_000_000_000 + i * 1000}\t200\t${(i + 1) * 1000}`);
    lines.push(`${1_700_000_000_000_000 + 50_000}\t503\t400`, `${1_700_000_000_000_000 + 60_000}\t-1\t10000000`);
    const log = parseH2loadLog(lines.reverse().join('\n') + '\n');
    expect(log.requests).toBe(102);
    expect(log.ok).toBe(100);
    expect(log.statusCounts).toEqual({ '200': 100, '503': 1, '-1': 1 });
    expect(log.latencyMs).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
    expect(log.sentPerSecond).toBeCloseTo(101 / 0.099, 6);
    expect(log.okPerSecond).toBeCloseTo(100 / 0.099, 6);
  });

  it('counts the requests sent in the warm-up apart, failures included', () => {
    const t0 = 1_700_000_000_000_000;
    const lines = [`${t0}\t200\t90000`, `${t0 + 500_000}\t-1\t10000000`, `${t0 + 999_999}\t200\t80000`];
    for (let i = 0; i < 10; i++) lines.push(`${t0 + 1_000_000 + i * 100_000}\t200\t${1000 + i}`);
    const log = parseH2loadLog(lines.join('\n'), 1);
    expect({ requests: log.requests, warmUpRequests: log.warmUpRequests, warmUpFailed: log.warmUpFailed, ok: log.ok }).toEqual({
      requests: 10,
      warmUpRequests: 3,
      warmUpFailed: 1,
      ok: 10,
    });
    expect(log.latencyMs.max).toBe(1.01); // the warm-up's 80-90 ms answers are not in the percentiles
    expect(log.sentPerSecond).toBeCloseTo(9 / 0.9, 6);
    expect(() => parseH2loadLog(`${t0}\t200\t1\n`, 1)).toThrow('h2load logged no requests after the 1 s warm-up');
  });

  it('reads fractional milliseconds', () => {
    const log = parseH2loadLog('1\t200\t1234\n2\t204\t567\n');
    expect(log.latencyMs.p50).toBe(0.57);
    expect(log.latencyMs.max).toBe(1.23);
  });

  it('fails on a line it cannot read and on an empty log', () => {
    expect(() => parseH2loadLog('1\t200\t100\nfinished in 8.00s\n')).toThrow('h2load log line is not "start<TAB>status<TAB>µs": "finished in 8.00s"');
    expect(() => parseH2loadLog('\n')).toThrow('h2load logged no requests');
  });
});
