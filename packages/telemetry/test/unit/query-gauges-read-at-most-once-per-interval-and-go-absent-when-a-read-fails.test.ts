import { Registry } from 'prom-client';
import { registerQueryGauge, type GaugeSample } from '../../src/query-gauge';

function setup(read: () => Promise<GaugeSample<'severity'>[]>, extra: { timeoutMs?: number } = {}) {
  const registry = new Registry();
  let clock = 1_000_000;
  const errors: string[] = [];
  const q = registerQueryGauge({
    registry,
    name: 'test_open',
    help: 'test',
    labelNames: ['severity'] as const,
    read,
    maxAgeMs: 5000,
    onError: (e) => errors.push(e.message),
    now: () => clock,
    ...extra,
  });
  const samples = async () => (await registry.getSingleMetric('test_open')!.get()).values.map((v) => [v.labels.severity, v.value]);
  return { registry, q, errors, samples, advance: (ms: number) => (clock += ms) };
}

describe('a gauge read from a query on scrape', () => {
  it('serves one read to every scrape within the interval, then reads again', async () => {
    let reads = 0;
    let open = 2;
    const { samples, advance } = setup(async () => {
      reads++;
      return [
        { labels: { severity: 'critical' }, value: open },
        { labels: { severity: 'info' }, value: 0 },
      ];
    });
    expect(await samples()).toEqual([
      ['critical', 2],
      ['info', 0],
    ]);
    open = 5;
    advance(4999);
    expect(await samples()).toEqual([
      ['critical', 2],
      ['info', 0],
    ]);
    expect(reads).toBe(1);
    advance(1);
    expect(await samples()).toEqual([
      ['critical', 5],
      ['info', 0],
    ]);
    expect(reads).toBe(2);
  });

  it('shares one read in flight between concurrent scrapes', async () => {
    let reads = 0;
    let release: (() => void) | undefined;
    const { registry } = setup(
      () =>
        new Promise((resolve) => {
          reads++;
          release = () => resolve([{ labels: { severity: 'warning' }, value: 1 }]);
        }),
    );
    const scrapes = [registry.metrics(), registry.metrics(), registry.metrics()];
    await new Promise((r) => setImmediate(r));
    release!();
    const texts = await Promise.all(scrapes);
    expect(reads).toBe(1);
    for (const t of texts) expect(t).toContain('test_open{severity="warning"} 1');
  });

  it('has no samples after a failed read (not the last good value), and says why', async () => {
    let fail = false;
    const { samples, advance, errors } = setup(async () => {
      if (fail) throw new Error('connection refused');
      return [{ labels: { severity: 'critical' }, value: 3 }];
    });
    expect(await samples()).toEqual([['critical', 3]]);
    fail = true;
    advance(5000);
    expect(await samples()).toEqual([]);
    expect(errors).toEqual(['connection refused']);
    // Failures are cached like reads: a scrape storm does not hammer a dead database.
    expect(await samples()).toEqual([]);
    expect(errors).toHaveLength(1);
    fail = false;
    advance(5000);
    expect(await samples()).toEqual([['critical', 3]]);
  });

  it('gives up on a read that does not answer within the timeout, without failing the scrape', async () => {
    const { registry, errors } = setup(() => new Promise(() => undefined), { timeoutMs: 20 });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_open gauge');
    expect(text).not.toMatch(/^test_open/m);
    expect(errors).toEqual(['reading test_open: no answer within 20 ms']);
  });

  it('drops values that are not finite numbers', async () => {
    const { samples } = setup(async () => [
      { labels: { severity: 'a' }, value: Number.NaN },
      { labels: { severity: 'b' }, value: 1 },
    ]);
    expect(await samples()).toEqual([['b', 1]]);
  });

  it('reads again at once after invalidate()', async () => {
    let reads = 0;
    const { q, samples } = setup(async () => [{ labels: { severity: 'x' }, value: ++reads }]);
    await samples();
    q.invalidate();
    expect(await samples()).toEqual([['x', 2]]);
  });

  it('has no sample, not a zero, when a gauge without labels has nothing to report', async () => {
    const registry = new Registry();
    let value: number | undefined;
    registerQueryGauge({ registry, name: 'test_lag', help: 'test', read: async () => (value === undefined ? [] : [{ labels: {}, value }]), maxAgeMs: 0 });
    expect((await registry.getSingleMetric('test_lag')!.get()).values).toEqual([]);
    value = 0;
    expect((await registry.getSingleMetric('test_lag')!.get()).values).toEqual([{ labels: {}, value: 0 }]);
    value = undefined;
    expect(await registry.metrics()).not.toMatch(/^test_lag/m);
  });
});
