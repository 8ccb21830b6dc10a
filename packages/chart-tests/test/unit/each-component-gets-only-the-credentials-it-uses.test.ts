/**
 * Least privilege in the pods' environment and volumes: the API and the worker get Kafka, PostgreSQL and Redis
 * credentials; the notifier only Kafka's; the migration Job only the database's; the operator none (it reads the
 * LagScaler's Secret through the API, with its RBAC). Passwords are never literal values.
 */
import { render, type K8sObject } from '../../src/charts';
import { podTemplates } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let objects: K8sObject[];
beforeAll(async () => {
  objects = await render('floodgate', {
    set: { 'notifier.enabled': true, 'notifier.webhookSecret': 'hooks', 'notifier.webhookUrls[0]': 'https://hooks.example.org/a' },
  });
});

function credentials(component: string): string[] {
  const pod = podTemplates(objects).find((p) => p.labels['app.kubernetes.io/component'] === component)!;
  const env = (pod.spec.containers[0].env ?? []) as { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
  const fromEnv = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => `env:${e.name}`);
  const fromFiles = (pod.spec.volumes ?? []).filter((v: { secret?: unknown }) => v.secret).map((v: { name: string }) => `volume:${v.name}`);
  return [...fromEnv, ...fromFiles].sort();
}

test('each component mounts or reads exactly the secrets of the services it talks to', () => {
  const all = ['env:DATABASE_PASSWORD', 'env:DATABASE_USERNAME', 'env:REDIS_PASSWORD', 'volume:kafka-ca', 'volume:kafka-sasl', 'volume:postgres-ca'];
  expect(credentials('api')).toEqual([...all, 'env:JWT_SECRET'].sort());
  expect(credentials('worker')).toEqual(all);
  expect(credentials('notifier')).toEqual(['env:NOTIFIER_WEBHOOK_SECRET', 'volume:kafka-ca', 'volume:kafka-sasl']);
  expect(credentials('migrate')).toEqual(['env:DATABASE_PASSWORD', 'env:DATABASE_USERNAME', 'volume:postgres-ca']);
  expect(credentials('operator')).toEqual([]);
});

test('no password, token or key is a literal value in a pod spec or the ConfigMap', () => {
  for (const p of podTemplates(objects)) {
    for (const c of p.spec.containers) {
      for (const e of (c.env ?? []) as { name: string; value?: string }[]) {
        if (/PASSWORD|SECRET|TOKEN|KEY$/.test(e.name) && !e.name.endsWith('_FILE'))
          expect({ owner: p.owner, name: e.name, value: e.value }).toEqual({ owner: p.owner, name: e.name, value: undefined });
      }
    }
  }
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'floodgate-config')!;
  expect(Object.keys(config.data!).filter((k) => /PASSWORD|SECRET|TOKEN/.test(k))).toEqual([]);
  // The only service account token mounted is the operator's.
  const withToken = podTemplates(objects).filter((p) => (p.spec as { automountServiceAccountToken?: boolean }).automountServiceAccountToken !== false);
  expect(withToken.map((p) => p.owner)).toEqual(['Deployment/floodgate-operator']);
});
