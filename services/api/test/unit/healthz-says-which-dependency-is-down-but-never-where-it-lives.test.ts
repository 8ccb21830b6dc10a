import { DependencyMonitor, type Dependency } from '../../src/dependency-monitor';
import { createMetrics } from '../../src/metrics';

it('reports a failing dependency as down without its error text, and hands the text to the log once per outage', async () => {
  let kafkaUp = false;
  // Fake probes (no servers): Kafka fails with an error naming an internal address, the others answer.
  const probes: Record<Dependency, () => Promise<unknown>> = {
    kafka: async () => {
      if (!kafkaUp) throw new Error('Connection error: connect ECONNREFUSED 10.42.7.13:9092');
    },
    postgres_primary: async () => undefined,
    postgres_replica: async () => undefined,
    redis: async () => undefined,
  };
  const logged: [string, string][] = [];
  const monitor = new DependencyMonitor(probes, createMetrics(), 60_000, (dependency, error) => logged.push([dependency, error]));

  await monitor.probeAll();
  await monitor.probeAll(); // still down: no second log line
  const snapshot = monitor.snapshot();
  expect(snapshot.kafka).toEqual({ up: false, checkedAt: expect.any(String) });
  expect(snapshot.redis).toEqual({ up: true, checkedAt: expect.any(String) });
  expect(JSON.stringify(snapshot)).not.toMatch(/10\.42\.7\.13|ECONNREFUSED/);
  expect(logged).toEqual([['kafka', 'Connection error: connect ECONNREFUSED 10.42.7.13:9092']]);

  kafkaUp = true;
  await monitor.probeAll();
  expect(monitor.snapshot().kafka?.up).toBe(true);
  kafkaUp = false;
  await monitor.probeAll(); // a new outage is logged again
  expect(logged).toHaveLength(2);
});
