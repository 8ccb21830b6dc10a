/** Pod templates found in rendered objects: built-in workloads, and the pod templates of Strimzi's custom resources. */
import type { K8sObject } from './charts';

export interface PodTemplate {
  owner: string;
  labels: Record<string, string>;
  spec: { securityContext?: any; containers: any[]; initContainers?: any[]; volumes?: any[] };
}

/** Pods that Kubernetes itself will create from the render: Deployments, StatefulSets, Jobs, bare Pods. */
export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const o of objects) {
    const owner = `${o.kind}/${o.metadata.name}`;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)) {
      out.push({ owner, labels: o.spec.template.metadata?.labels ?? {}, spec: o.spec.template.spec });
    } else if (o.kind === 'CronJob') {
      out.push({ owner, labels: o.spec.jobTemplate.spec.template.metadata?.labels ?? {}, spec: o.spec.jobTemplate.spec.template.spec });
    } else if (o.kind === 'Pod') {
      out.push({ owner, labels: o.metadata.labels ?? {}, spec: o.spec });
    }
  }
  return out;
}

export const allContainers = (p: PodTemplate) => [...(p.spec.initContainers ?? []), ...p.spec.containers];

/** Does a label selector (matchLabels only, as our charts write them) select these labels? */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
