/**
 * `helm lint --strict` passes and `helm template` renders for every chart under the default, dev and prod values,
 * and each profile says what it promises: dev runs a single Kafka node and one PostgreSQL instance, prod three of each.
 */
import { chartDir, chartNames, helm, kubeVersion, profileFiles, profiles, render, type K8sObject } from '../../src/charts';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

describe.each(chartNames)('%s', (chart) => {
  test.each(profiles)('lints strictly with the %s values', async (profile) => {
    const args = ['lint', '--strict', chartDir(chart), '--kube-version', kubeVersion];
    for (const f of profileFiles(chart, profile)) args.push('-f', f);
    const out = await helm(args);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  test.each(profiles)('renders with the %s values', async (profile) => {
    const t0 = performance.now();
    const objects = await render(chart, { profile });
    const ms = performance.now() - t0;
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
      expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe('floodgate');
      expect(o.metadata.labels?.['app.kubernetes.io/name']).toBeTruthy();
      expect(o.metadata.labels?.['helm.sh/chart']).toMatch(/^floodgate/);
    }
    // One line per render for the report: chart, profile, objects, milliseconds.
    process.stdout.write(`render ${chart} ${profile}: ${objects.length} objects in ${ms.toFixed(0)} ms\n`);
  });
});

const nodePools = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'KafkaNodePool');
const cluster = (objects: K8sObject[]) => objects.find((o) => o.kind === 'Cluster')!;

test('the dev profile runs a single Kafka node with both KRaft roles, and one PostgreSQL instance without synchronous replication', async () => {
  const objects = await render('floodgate-platform', { profile: 'dev' });
  const pools = nodePools(objects);
  expect(pools).toHaveLength(1);
  expect(pools[0]!.spec.replicas).toBe(1);
  expect(pools[0]!.spec.roles.sort()).toEqual(['broker', 'controller']);
  expect(objects.filter((o) => o.kind === 'KafkaTopic').every((t) => t.spec.replicas === 1)).toBe(true);
  expect(cluster(objects).spec.instances).toBe(1);
  expect(cluster(objects).spec.postgresql.synchronous).toBeUndefined();
});

test('the prod profile runs three controllers, three brokers, and a primary with two replicas in quorum synchronous replication', async () => {
  const objects = await render('floodgate-platform', { profile: 'prod' });
  const byRole = Object.fromEntries(nodePools(objects).map((p) => [p.spec.roles.join(','), p.spec.replicas]));
  expect(byRole).toEqual({ controller: 3, broker: 3 });
  const kafka = objects.find((o) => o.kind === 'Kafka')!;
  expect(kafka.spec.kafka.config['min.insync.replicas']).toBe(2);
  expect(kafka.spec.kafka.config['default.replication.factor']).toBe(3);
  expect(cluster(objects).spec.instances).toBe(3);
  expect(cluster(objects).spec.postgresql.synchronous).toEqual({ method: 'any', number: 1, dataDurability: 'required' });
  expect(objects.some((o) => o.kind === 'ScheduledBackup')).toBe(true);
  expect(objects.find((o) => o.kind === 'Ingress')!.spec.tls).toHaveLength(1);
});

test('the default PostgreSQL cluster uses quorum synchronous replication (no committed row lost on failover)', async () => {
  const c = cluster(await render('floodgate-postgres'));
  expect(c.spec.instances).toBe(3);
  expect(c.spec.postgresql.synchronous).toEqual({ method: 'any', number: 1, dataDurability: 'required' });
});

test("the platform's profiles are its charts' profiles, nested under each chart's name", async () => {
  for (const profile of ['dev', 'prod'] as const) {
    const platform = await render('floodgate-platform', { profile });
    for (const chart of ['floodgate', 'floodgate-kafka', 'floodgate-postgres', 'floodgate-redis'] as const) {
      const alone = await render(chart, { profile });
      const fromPlatform = platform.filter((o) => o.metadata.labels?.['helm.sh/chart']?.startsWith(`${chart}-0`));
      // The kinds whose shape a profile decides (sizes, instances, replicas) come out the same either way.
      const pick = (list: K8sObject[], kind: string) => list.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o.spec]);
      for (const kind of ['KafkaNodePool', 'KafkaTopic', 'Cluster', 'Pooler', 'StatefulSet', 'HorizontalPodAutoscaler', 'Ingress']) {
        expect({ chart, profile, kind, objects: pick(fromPlatform, kind) }).toEqual({ chart, profile, kind, objects: pick(alone, kind) });
      }
    }
  }
});
