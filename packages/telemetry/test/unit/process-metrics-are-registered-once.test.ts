import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { metricsHandler, registerProcessMetrics } from '../../src/process-metrics';

describe('process metrics', () => {
  it('registers the default metrics on the first call and does nothing on the next ones', async () => {
    const registry = new Registry();
    expect(registerProcessMetrics(registry)).toBe(true);
    expect(registerProcessMetrics(registry)).toBe(false);
    const text = await registry.metrics();
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('does not collide with a service that already called collectDefaultMetrics itself', () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    expect(() => registerProcessMetrics(registry)).not.toThrow();
    expect(registerProcessMetrics(registry)).toBe(false);
  });

  it('keeps registries apart: each gets its own set', () => {
    const a = new Registry();
    const b = new Registry();
    expect(registerProcessMetrics(a)).toBe(true);
    expect(registerProcessMetrics(b)).toBe(true);
  });

  it('serves the registry in the Prometheus text format on a plain node:http server', async () => {
    const registry = new Registry();
    new Counter({ name: 'floodgate_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    const server = http.createServer((req, res) => void metricsHandler(registry)(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toMatch(/^floodgate_test_total 3$/m);
    } finally {
      server.close();
    }
  });
});
