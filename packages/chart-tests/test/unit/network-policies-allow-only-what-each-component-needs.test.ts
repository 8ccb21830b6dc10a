/**
 * Each app pod is isolated in both directions by a NetworkPolicy, and the Ingress exposes only the public API: ingress only on the port it serves, egress only to
 * DNS and the services it talks to (the migration Job reaches PostgreSQL only; the operator the Kubernetes API and
 * Kafka, not the database; only the notifier reaches webhooks, and it needs neither PostgreSQL nor Redis).
 */
import { render, type K8sObject } from '../../src/charts';
import { podTemplates, selects } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let objects: K8sObject[];
beforeAll(async () => {
  objects = await render('floodgate', {
    set: { 'notifier.enabled': true, 'notifier.webhookSecret': 'hooks', 'notifier.webhookUrls[0]': 'https://hooks.example.org/a' },
  });
});

const policyFor = (component: string) => {
  const pod = podTemplates(objects).find((p) => p.labels['app.kubernetes.io/component'] === component)!;
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && selects(o.spec.podSelector.matchLabels, pod.labels));
  expect({ component, policies: policies.length }).toEqual({ component, policies: 1 });
  return policies[0]!.spec;
};
const egressPorts = (component: string) => [...new Set(policyFor(component).egress.flatMap((e: any) => e.ports.map((p: any) => p.port)))].sort();

test('every app pod (including the migration Job and the helm test) is selected by a policy for both directions', () => {
  for (const p of podTemplates(objects)) {
    const spec = policyFor(p.labels['app.kubernetes.io/component']!);
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
  }
});

test('each component may only reach what it talks to', () => {
  expect(egressPorts('api')).toEqual([4317, 4318, 5432, 53, 6379, 9092, 9093].sort());
  expect(egressPorts('worker')).toEqual([4317, 4318, 5432, 53, 6379, 9092, 9093].sort());
  expect(egressPorts('migrate')).toEqual([5432, 53].sort());
  expect(egressPorts('operator')).toEqual([443, 4317, 4318, 53, 6443, 9092, 9093].sort());
  expect(egressPorts('notifier')).toEqual([443, 4317, 4318, 53, 9092, 9093].sort());
  expect(egressPorts('test')).toEqual(['http', 53].sort());
});

test('ingress is open only on the serving port; the migration Job and the test pod accept nothing', () => {
  expect(policyFor('api').ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
  expect(policyFor('worker').ingress).toEqual([{ ports: [{ port: 'http-metrics', protocol: 'TCP' }] }]);
  expect(policyFor('migrate').ingress).toEqual([]);
  expect(policyFor('test').ingress).toEqual([]);
});

test('restricting who reaches the API still lets the helm test pod in', async () => {
  const restricted = await render('floodgate', { valuesFiles: [], set: { 'networkPolicy.apiFrom[0].namespaceSelector.matchLabels.name': 'ingress-nginx' } });
  const api = restricted.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'floodgate-api')!;
  expect(api.spec.ingress[0].from).toEqual([
    { namespaceSelector: { matchLabels: { name: 'ingress-nginx' } } },
    {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'floodgate', 'app.kubernetes.io/instance': 'floodgate', 'app.kubernetes.io/component': 'test' } },
    },
  ]);
});

test('the Ingress routes only the public API: /metrics, /healthz and /readyz stay inside the cluster', async () => {
  const ingress = (await render('floodgate', { profile: 'prod' })).find((o) => o.kind === 'Ingress')!;
  const paths: string[] = ingress.spec.rules.flatMap((r: { http: { paths: { path: string }[] } }) => r.http.paths.map((p) => p.path));
  expect(paths.sort()).toEqual(['/openapi.json', '/v1']);
  for (const internal of ['/metrics', '/healthz', '/readyz']) expect(paths.some((p) => internal.startsWith(p))).toBe(false);
});
