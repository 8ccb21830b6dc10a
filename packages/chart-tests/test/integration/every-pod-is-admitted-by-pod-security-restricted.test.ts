/**
 * The API server's own PodSecurity admission, enforcing the "restricted" level on a namespace, admits a Pod made
 * from every pod template the charts render (Deployments, the Redis StatefulSet, the migration Job, the helm test
 * Pod), under every profile. This is the Kubernetes implementation of the standard, not our reading of it.
 */
import { renderAll, type K8sObject } from '../../src/charts';
import { createNamespace, dryRunCreate, type KubeTarget } from '../../src/kube';
import { kubeWithOperatorCrds } from '../../src/kube-stack';
import { podTemplates } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(180000);

let kube: KubeTarget;
let namespace: string;

beforeAll(async () => {
  kube = await kubeWithOperatorCrds();
  namespace = await createNamespace(kube, 'charts-restricted', {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
});

const podFrom = (owner: string, spec: object): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: owner
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 63),
  },
  spec,
});

test('every pod template of every chart and profile is admitted at the restricted level', async () => {
  const rejected: string[] = [];
  let admitted = 0;
  for (const { chart, profile, objects } of await renderAll({ namespace })) {
    for (const p of podTemplates(objects)) {
      try {
        await dryRunCreate(kube, podFrom(p.owner, p.spec), namespace);
        admitted++;
      } catch (err) {
        rejected.push(`${chart}/${profile} ${p.owner}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  expect(rejected).toEqual([]);
  expect(admitted).toBeGreaterThan(20);
});

test('a pod that runs as root and may escalate privileges is refused there (the check can fail)', async () => {
  const pod = podFrom('bad', { containers: [{ name: 'c', image: 'busybox:1.36', securityContext: { runAsUser: 0, allowPrivilegeEscalation: true } }] });
  await expect(dryRunCreate(kube, pod, namespace)).rejects.toThrow(/violates PodSecurity "restricted:latest"/);
});
