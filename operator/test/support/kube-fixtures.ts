/** Test fixtures against the real local kube-apiserver: the CRD installed, a fresh namespace, a Deployment. */
import fs from 'node:fs';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type CoreV1Event } from '@kubernetes/client-node';
import { KubeClient, isNotFound } from '../../src/kube-client';
import type { LagScaler } from '../../src/lagscaler-spec';
import { parse } from 'yaml';
import { repoRoot } from '@floodgate/devstack';

export const crdFile = () => path.join(repoRoot(), 'charts', 'floodgate', 'crds', 'lagscalers.floodgate.dev.yaml');

export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env.KUBECONFIG!);
  return kc;
}

/**
 * Creates (or updates) the LagScaler CRD from the chart's file and waits until it is Established.
 * Sent as raw JSON: client-node's typed serializer would drop keys it spells differently
 * (`x-kubernetes-validations`), as Helm and kubectl never do.
 */
export async function installCrd(kc: KubeConfig): Promise<void> {
  const kube = new KubeClient(kc);
  const crd = parse(fs.readFileSync(crdFile(), 'utf8')) as { metadata: { name: string; resourceVersion?: string } };
  const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  const name = crd.metadata.name;
  try {
    const existing = await kube.get<{ metadata: { resourceVersion: string } }>(`${path}/${name}`);
    crd.metadata.resourceVersion = existing.metadata.resourceVersion;
    await kube.put(`${path}/${name}`, crd);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await kube.post(path, crd);
  }
  for (let i = 0; i < 100; i++) {
    const got = await kube.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`${path}/${name}`);
    if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} was not Established after 10 s`);
}

let counter = 0;
export async function freshNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${counter++}`.slice(0, 63);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function createDeployment(kc: KubeConfig, namespace: string, name: string, replicas: number): Promise<void> {
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'worker', image: 'floodgate/worker' }] } },
      },
    },
  });
}

export async function deploymentReplicas(kc: KubeConfig, namespace: string, name: string): Promise<number | undefined> {
  const scale = await kc.makeApiClient(AppsV1Api).readNamespacedDeploymentScale({ namespace, name });
  return scale.spec?.replicas;
}

export interface LagScalerFixture {
  name: string;
  namespace: string;
  target: string;
  topic: string;
  group: string;
  spec?: Record<string, unknown>;
  /** Bootstrap servers; the stack's KAFKA_BROKERS when absent. */
  brokers?: string[];
}

export async function createLagScaler(kc: KubeConfig, f: LagScalerFixture): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'floodgate.dev',
    version: 'v1alpha1',
    namespace: f.namespace,
    plural: 'lagscalers',
    body: {
      apiVersion: 'floodgate.dev/v1alpha1',
      kind: 'LagScaler',
      metadata: { name: f.name },
      spec: {
        scaleTargetRef: { name: f.target },
        kafka: { bootstrapServers: f.brokers ?? process.env.KAFKA_BROKERS!.split(','), consumerGroup: f.group, topics: [f.topic] },
        maxReplicas: 20,
        ...f.spec,
      },
    },
  });
}

export async function readLagScaler(kc: KubeConfig, namespace: string, name: string): Promise<LagScaler> {
  return (await kc
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: 'floodgate.dev', version: 'v1alpha1', namespace, plural: 'lagscalers', name })) as LagScaler;
}

export async function patchLagScalerSpec(kc: KubeConfig, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kc
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: 'floodgate.dev', version: 'v1alpha1', namespace, plural: 'lagscalers', name, body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

export async function eventsFor(kc: KubeConfig, namespace: string, name: string): Promise<CoreV1Event[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name},involvedObject.kind=LagScaler` });
  return list.items;
}
