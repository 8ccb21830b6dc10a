/**
 * Every long-running workload the charts create (Deployments, StatefulSets) has liveness and readiness probes on a
 * port its container declares, and a PodDisruptionBudget that selects its pods, under every profile.
 */
import { renderAll } from '../../src/charts';
import { podTemplates, selects } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let rendered: Awaited<ReturnType<typeof renderAll>>;
beforeAll(async () => {
  rendered = await renderAll();
}, 60000);

test('every container of every Deployment and StatefulSet has liveness and readiness probes on a declared port', () => {
  const problems: string[] = [];
  for (const { chart, profile, objects } of rendered) {
    for (const p of podTemplates(objects).filter((t) => /^(Deployment|StatefulSet)\//.test(t.owner))) {
      for (const c of p.spec.containers) {
        const ports = new Set<string | number>((c.ports ?? []).flatMap((port: { name?: string; containerPort: number }) => [port.name, port.containerPort]));
        for (const kind of ['livenessProbe', 'readinessProbe']) {
          const probe = c[kind];
          const where = `${chart}/${profile} ${p.owner} ${c.name} ${kind}`;
          if (!probe) problems.push(`${where}: missing`);
          else {
            const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
            if (port !== undefined && !ports.has(port)) problems.push(`${where}: port ${port} is not declared by the container`);
            if (port === undefined && !probe.exec) problems.push(`${where}: no handler`);
          }
        }
      }
    }
  }
  expect(problems).toEqual([]);
});

test('the API readiness probe asks /readyz and the liveness probe /healthz', () => {
  const api = podTemplates(rendered.find((r) => r.chart === 'floodgate')!.objects).find((p) => p.owner === 'Deployment/floodgate-api')!;
  expect(api.spec.containers[0].readinessProbe.httpGet.path).toBe('/readyz');
  expect(api.spec.containers[0].livenessProbe.httpGet.path).toBe('/healthz');
});

test('every Deployment and StatefulSet has a PodDisruptionBudget selecting its pods', () => {
  const problems: string[] = [];
  for (const { chart, profile, objects } of rendered) {
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const p of podTemplates(objects).filter((t) => /^(Deployment|StatefulSet)\//.test(t.owner))) {
      if (!pdbs.some((b) => selects(b.spec.selector.matchLabels, p.labels))) problems.push(`${chart}/${profile} ${p.owner}: no PodDisruptionBudget`);
    }
    for (const b of pdbs) {
      if (!podTemplates(objects).some((p) => selects(b.spec.selector.matchLabels, p.labels)))
        problems.push(`${chart}/${profile} PDB ${b.metadata.name} selects nothing`);
    }
  }
  expect(problems).toEqual([]);
});

test('the operator keeps one replica through voluntary disruptions (two replicas, minAvailable 1)', () => {
  const objects = rendered.find((r) => r.chart === 'floodgate' && r.profile === 'default')!.objects;
  expect(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'floodgate-operator')!.spec.replicas).toBe(2);
  expect(objects.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'floodgate-operator')!.spec.minAvailable).toBe(1);
});
