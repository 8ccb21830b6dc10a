/**
 * Nothing in a render points at nothing: every Service selects pods the render creates (and names a port they
 * declare), every ServiceMonitor a Service, every PodMonitor of ours pods, every Ingress a Service port, every
 * NetworkPolicy pods, and the HPA and the LagScaler a Deployment. Pods made by the Strimzi and CloudNativePG
 * operators are not in the render, so monitors that select them by the operators' labels are left out.
 */
import { renderAll, type K8sObject } from '../../src/charts';
import { podTemplates, selects } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let rendered: Awaited<ReturnType<typeof renderAll>>;
beforeAll(async () => {
  rendered = await renderAll();
}, 60000);

const operatorManaged = (selector: Record<string, string>) => Object.keys(selector).some((k) => k.startsWith('strimzi.io/') || k.startsWith('cnpg.io/'));

function danglingReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const pods = podTemplates(objects).filter((p) => !p.owner.startsWith('Job/') && !p.owner.startsWith('Pod/'));
  const services = objects.filter((o) => o.kind === 'Service');
  for (const s of services) {
    const selected = pods.filter((p) => selects(s.spec.selector, p.labels));
    if (selected.length === 0) problems.push(`Service ${s.metadata.name} selects no pods`);
    for (const port of s.spec.ports) {
      const declared = selected.some((p) =>
        p.spec.containers.some((c: any) => (c.ports ?? []).some((cp: any) => cp.name === port.targetPort || cp.containerPort === port.targetPort)),
      );
      if (selected.length > 0 && !declared)
        problems.push(`Service ${s.metadata.name} port ${port.name} targets ${port.targetPort}, which its pods do not declare`);
    }
  }
  for (const m of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const svc = services.filter((s) => selects(m.spec.selector.matchLabels, s.metadata.labels ?? {}));
    if (svc.length === 0) problems.push(`ServiceMonitor ${m.metadata.name} selects no Service`);
    for (const e of m.spec.endpoints)
      if (!svc.some((s) => s.spec.ports.some((p: any) => p.name === e.port)))
        problems.push(`ServiceMonitor ${m.metadata.name} scrapes port ${e.port}, which no selected Service has`);
  }
  for (const m of objects.filter((o) => o.kind === 'PodMonitor' && !operatorManaged(o.spec.selector.matchLabels))) {
    const selected = pods.filter((p) => selects(m.spec.selector.matchLabels, p.labels));
    if (selected.length === 0) problems.push(`PodMonitor ${m.metadata.name} selects no pods`);
    for (const e of m.spec.podMetricsEndpoints) {
      if (!selected.some((p) => p.spec.containers.some((c: any) => (c.ports ?? []).some((cp: any) => cp.name === e.port))))
        problems.push(`PodMonitor ${m.metadata.name} scrapes port ${e.port}, which its pods do not declare`);
    }
  }
  for (const i of objects.filter((o) => o.kind === 'Ingress')) {
    for (const rule of i.spec.rules) {
      for (const p of rule.http.paths) {
        const svc = services.find((s) => s.metadata.name === p.backend.service.name);
        if (!svc?.spec.ports.some((sp: any) => sp.name === p.backend.service.port.name))
          problems.push(`Ingress ${i.metadata.name} routes to ${p.backend.service.name}:${p.backend.service.port.name}, which does not exist`);
      }
    }
  }
  for (const np of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    if (!podTemplates(objects).some((p) => selects(np.spec.podSelector.matchLabels, p.labels)))
      problems.push(`NetworkPolicy ${np.metadata.name} selects no pods`);
  }
  for (const scaler of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'LagScaler')) {
    const ref = scaler.spec.scaleTargetRef;
    if (!objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name))
      problems.push(`${scaler.kind} ${scaler.metadata.name} targets ${ref.kind}/${ref.name}, which does not exist`);
  }
  return problems;
}

test('every Service, monitor, Ingress, NetworkPolicy and scaler of every chart and profile points at something that exists', () => {
  const problems = rendered.flatMap(({ chart, profile, objects }) => danglingReferences(objects).map((p) => `${chart}/${profile}: ${p}`));
  expect(problems).toEqual([]);
});

test('a Service whose selector matches no pod is reported (the check can fail)', () => {
  const objects = structuredClone(rendered.find((r) => r.chart === 'floodgate')!.objects);
  objects.find((o) => o.kind === 'Service')!.spec.selector['app.kubernetes.io/component'] = 'apii';
  expect(danglingReferences(objects)).toEqual(expect.arrayContaining([expect.stringMatching(/^Service floodgate-api selects no pods/)]));
});

test('the helm test asks /readyz of the API Service by its cluster DNS name and port, and may reach it', async () => {
  for (const { chart, objects } of rendered.filter((r) => r.chart === 'floodgate' || r.chart === 'floodgate-platform')) {
    const pod = objects.find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test')!;
    const url = new URL(pod.spec.containers[0].args.at(-1));
    const svc = objects.find((o) => o.kind === 'Service' && `${o.metadata.name}.${o.metadata.namespace}.svc` === url.hostname);
    expect({ chart, service: svc?.metadata.name, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), path: url.pathname }).toEqual({
      chart,
      service: 'floodgate-api',
      port: svc?.spec.ports[0].port,
      path: '/readyz',
    });
  }
});
