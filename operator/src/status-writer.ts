/**
 * The operator's only way of reporting: the LagScaler's status (written last in a reconcile, and
 * only when it changed) and Kubernetes Events, one for each scale with the reason in words.
 */
import type { KubeClient } from './kube-client';
import { KIND, GROUP, VERSION, lagScalerPath, type Condition, type LagScaler, type LagScalerStatus } from './lagscaler-spec';

/** Carries lastTransitionTime over from the previous condition of the same type and status. */
export function mergeConditions(previous: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>[], now: Date): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now.toISOString() };
  });
}

/** Status without the fields that change every poll, to tell a real change from a new sample. */
const comparable = (s: LagScalerStatus) => JSON.stringify(s);

export class StatusWriter {
  private readonly lastWritten = new Map<string, string>();

  constructor(
    private readonly kube: KubeClient,
    private readonly reporter: { component: string; instance: string },
  ) {}

  /** Merge-patches status when it differs from what this process last wrote for the object. */
  async write(ls: LagScaler, status: LagScalerStatus): Promise<boolean> {
    const key = `${ls.metadata.namespace}/${ls.metadata.name}/${ls.metadata.uid ?? ''}`;
    const text = comparable(status);
    if (this.lastWritten.get(key) === text) return false;
    // conditions and partitionLag are lists: a merge patch replaces them whole, which is what we want.
    await this.kube.patch(`${lagScalerPath(ls.metadata.namespace, ls.metadata.name)}/status`, { status });
    this.lastWritten.set(key, text);
    return true;
  }

  /** Another instance may have written since: the next write must not be skipped. */
  forgetAll(): void {
    this.lastWritten.clear();
  }

  forget(ls: { metadata: { namespace?: string; name?: string; uid?: string } }): void {
    this.lastWritten.delete(`${ls.metadata.namespace}/${ls.metadata.name}/${ls.metadata.uid ?? ''}`);
  }

  async event(ls: LagScaler, type: 'Normal' | 'Warning', reason: string, message: string, now = new Date()): Promise<void> {
    const ns = ls.metadata.namespace;
    await this.kube.post(`/api/v1/namespaces/${encodeURIComponent(ns)}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${ls.metadata.name}.`, namespace: ns },
      involvedObject: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: KIND,
        name: ls.metadata.name,
        namespace: ns,
        ...(ls.metadata.uid ? { uid: ls.metadata.uid } : {}),
        ...(ls.metadata.resourceVersion ? { resourceVersion: ls.metadata.resourceVersion } : {}),
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.reporter.component },
      reportingComponent: this.reporter.component,
      reportingInstance: this.reporter.instance,
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      count: 1,
    });
  }
}
