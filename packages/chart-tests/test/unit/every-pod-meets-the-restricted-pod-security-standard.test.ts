/**
 * Pod Security Standard "restricted" over everything the charts render, under every profile: non-root, read-only
 * root filesystem, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault, no host namespaces or
 * hostPath, and resource requests and limits on every container. Pods that Strimzi creates get the same contexts
 * through the custom resources' templates.
 */
import { renderAll, type K8sObject } from '../../src/charts';
import { allContainers, podTemplates, type PodTemplate } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let rendered: Awaited<ReturnType<typeof renderAll>>;
beforeAll(async () => {
  rendered = await renderAll();
}, 60000);

/** Every violation of the restricted profile in one pod template, as readable strings. */
function violations(p: PodTemplate): string[] {
  const out: string[] = [];
  const pod = p.spec.securityContext ?? {};
  const spec = p.spec as Record<string, unknown>;
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[host]) out.push(`${p.owner}: ${host}`);
  for (const v of p.spec.volumes ?? []) if (v.hostPath) out.push(`${p.owner}: hostPath volume ${v.name}`);
  for (const c of allContainers(p)) {
    const sc = c.securityContext ?? {};
    const where = `${p.owner} container ${c.name}`;
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) out.push(`${where}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${where}: runs as uid 0`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation is not false`);
    if (sc.privileged) out.push(`${where}: privileged`);
    if (sc.readOnlyRootFilesystem !== true) out.push(`${where}: root filesystem is writable`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${where}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE')) out.push(`${where}: adds ${sc.capabilities.add}`);
    if ((sc.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault') out.push(`${where}: seccomp is not RuntimeDefault`);
    for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) if (!c.resources?.[k]?.[r]) out.push(`${where}: no ${k}.${r}`);
  }
  return out;
}

test('every pod and container the charts create directly passes the restricted profile with requests and limits', () => {
  const problems: string[] = [];
  let pods = 0;
  for (const { chart, profile, objects } of rendered) {
    for (const p of podTemplates(objects)) {
      pods++;
      problems.push(...violations(p).map((v) => `${chart}/${profile} ${v}`));
    }
  }
  expect(problems).toEqual([]);
  expect(pods).toBeGreaterThan(20);
});

test('the checker does flag a pod that breaks the profile (it can fail)', () => {
  const bad: PodTemplate = {
    owner: 'Deployment/bad',
    labels: {},
    spec: {
      securityContext: {},
      containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: true } }],
      volumes: [{ name: 'h', hostPath: { path: '/' } }],
    },
  };
  expect(violations(bad).length).toBeGreaterThanOrEqual(7);
});

/** The restricted contexts Strimzi applies through its templates, for each pod and container it creates for us. */
function strimziTemplates(objects: K8sObject[]): { where: string; pod: any; containers: any[] }[] {
  const out = [];
  for (const o of objects) {
    if (o.kind === 'KafkaNodePool')
      out.push({
        where: `KafkaNodePool/${o.metadata.name}`,
        pod: o.spec.template?.pod,
        containers: [o.spec.template?.kafkaContainer, o.spec.template?.initContainer],
      });
    if (o.kind === 'Kafka') {
      const eo = o.spec.entityOperator?.template;
      out.push({ where: 'entity operator', pod: eo?.pod, containers: [eo?.topicOperatorContainer, eo?.userOperatorContainer] });
      if (o.spec.kafkaExporter)
        out.push({ where: 'kafka exporter', pod: o.spec.kafkaExporter.template?.pod, containers: [o.spec.kafkaExporter.template?.container] });
    }
  }
  return out;
}

test("Strimzi's pods get the restricted security contexts, and the broker pools resource requests and limits", () => {
  for (const { chart, profile, objects } of rendered.filter((r) => r.chart === 'floodgate-kafka' || r.chart === 'floodgate-platform')) {
    const templates = strimziTemplates(objects);
    expect(templates.length).toBeGreaterThanOrEqual(3);
    for (const t of templates) {
      const label = `${chart}/${profile} ${t.where}`;
      expect({ label, runAsNonRoot: t.pod?.securityContext?.runAsNonRoot, seccomp: t.pod?.securityContext?.seccompProfile?.type }).toEqual({
        label,
        runAsNonRoot: true,
        seccomp: 'RuntimeDefault',
      });
      for (const c of t.containers) {
        expect({ label, sc: c?.securityContext }).toMatchObject({
          label,
          sc: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        });
      }
    }
    for (const pool of objects.filter((o) => o.kind === 'KafkaNodePool')) {
      expect(pool.spec.resources).toMatchObject({ requests: { cpu: expect.anything(), memory: expect.anything() }, limits: { memory: expect.anything() } });
    }
  }
});
