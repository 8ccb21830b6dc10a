/**
 * The contract between the charts and the services, checked with the services' own configuration schemas: the
 * environment each container gets (its ConfigMap, literal values, Secrets and downward-API fields, with Kubernetes'
 * $(VAR) expansion) parses with the API's, the worker's, the notifier's, the operator's and the tracing bootstrap's
 * schema, under every profile. Secret values are stand-ins of a valid length, since Strimzi and CloudNativePG make them.
 */
import { loadApiConfig } from '@floodgate/api/src/config';
import { loadConfig as loadOperatorConfig } from '@floodgate/operator/src/config';
import { telemetrySettings } from '@floodgate/telemetry/src/telemetry-settings';
import { loadNotifierConfig, loadWorkerConfig } from '@floodgate/worker/src/config';
import { profiles, render, type K8sObject } from '../../src/charts';
import { podTemplates, type PodTemplate } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: unknown; fieldRef?: { fieldPath: string } } };

/** The environment Kubernetes would give the pod's first container (envFrom first, then env, expanding $(VAR)). */
function containerEnv(objects: K8sObject[], pod: PodTemplate): Record<string, string> {
  const c = pod.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef.name)!.data);
  for (const e of (c.env ?? []) as EnvVar[]) {
    if (e.valueFrom?.secretKeyRef) env[e.name] = 'S3cretStandInFromAKubernetesSecret-0123456789abcdef';
    else if (e.valueFrom?.fieldRef) env[e.name] = e.valueFrom.fieldRef.fieldPath === 'metadata.name' ? 'pod-0' : 'floodgate';
    else env[e.name] = (e.value ?? '').replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
  }
  return env;
}

const loaders: Record<string, (env: Record<string, string>) => unknown> = {
  api: loadApiConfig,
  worker: loadWorkerConfig,
  notifier: loadNotifierConfig,
  operator: loadOperatorConfig,
  migrate: (env) => {
    if (!env.DATABASE_URL) throw new Error('DATABASE_URL is unset');
    return new URL(env.DATABASE_URL);
  },
};

describe.each(profiles)('the %s profile', (profile) => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render('floodgate-platform', {
      profile,
      set: {
        'floodgate.notifier.enabled': true,
        'floodgate.notifier.webhookSecret': 'hooks',
        'floodgate.notifier.webhookUrls[0]': 'https://hooks.example.org/a',
      },
    });
  });

  test.each(Object.keys(loaders))('the %s container starts with its configuration', (component) => {
    const pod = podTemplates(objects).find((p) => p.labels['app.kubernetes.io/component'] === component && p.labels['app.kubernetes.io/name'] === 'floodgate')!;
    const env = containerEnv(objects, pod);
    expect(() => loaders[component]!(env)).not.toThrow();
    expect(() => telemetrySettings(env)).not.toThrow();
    expect(Object.values(env).filter((v) => v.includes('$('))).toEqual([]);
  });

  test('the database URLs are valid URLs with the -rw and -ro hosts', () => {
    const env = containerEnv(
      objects,
      podTemplates(objects).find((p) => p.owner === 'Deployment/floodgate-worker')!,
    );
    expect(new URL(env.DATABASE_URL!).hostname).toBe('floodgate-postgres-rw');
    expect(new URL(env.DATABASE_READ_URL!).hostname).toBe('floodgate-postgres-ro');
    expect(new URL(env.REDIS_URL!).hostname).toBe('floodgate-redis');
  });
});

test('a setting the service refuses is caught here (the check can fail)', () => {
  expect(() => loadOperatorConfig({ WATCH_NAMESPACE: '' })).toThrow(/WATCH_NAMESPACE/);
});
