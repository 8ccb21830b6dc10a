/**
 * Reads and patches the scale subresource of any scalable resource (Deployment, StatefulSet, a
 * custom resource with `subresources.scale`), found by apiVersion and kind through API discovery.
 */
import { KubeApiError, isNotFound, type KubeClient } from './kube-client';

export interface ScaleTargetRef {
  apiVersion: string;
  kind: string;
  name: string;
}

export class ScaleTargetError extends Error {
  constructor(
    readonly reason: 'TargetNotFound' | 'TargetNotScalable',
    readonly target: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ScaleTargetError';
  }
}

export interface Scale {
  /** Replicas asked for (spec.replicas). */
  replicas: number;
  /** Replicas that exist (status.replicas); without a controller-manager this stays 0. */
  statusReplicas: number;
  resourceVersion?: string;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export class ScaleTarget {
  /** apiVersion/kind → plural resource; discovery rarely changes, so keep it for ten minutes. */
  private readonly plurals = new Map<string, { at: number; plural: string }>();

  constructor(
    private readonly kube: KubeClient,
    private readonly clock: () => number = Date.now,
  ) {}

  private async scalePath(namespace: string, ref: ScaleTargetRef): Promise<string> {
    const key = `${ref.apiVersion}/${ref.kind}`;
    const describe = `${ref.kind} ${namespace}/${ref.name} (${ref.apiVersion})`;
    let entry = this.plurals.get(key);
    if (!entry || this.clock() - entry.at > 600_000) {
      const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
      let list: ApiResourceList;
      try {
        list = await this.kube.get<ApiResourceList>(base);
      } catch (err) {
        if (isNotFound(err)) throw new ScaleTargetError('TargetNotScalable', describe, `the API server does not serve ${ref.apiVersion}`, { cause: err });
        throw err;
      }
      const main = list.resources.find((r) => r.kind === ref.kind && !r.name.includes('/'));
      if (!main) throw new ScaleTargetError('TargetNotScalable', describe, `${ref.apiVersion} has no kind ${ref.kind}`);
      if (!list.resources.some((r) => r.name === `${main.name}/scale`)) {
        throw new ScaleTargetError('TargetNotScalable', describe, `${ref.kind} (${ref.apiVersion}) has no scale subresource`);
      }
      entry = { at: this.clock(), plural: main.name };
      this.plurals.set(key, entry);
    }
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${entry.plural}/${encodeURIComponent(ref.name)}/scale`;
  }

  async read(namespace: string, ref: ScaleTargetRef): Promise<Scale> {
    const path = await this.scalePath(namespace, ref);
    try {
      const s = await this.kube.get<{ metadata?: { resourceVersion?: string }; spec?: { replicas?: number }; status?: { replicas?: number } }>(path);
      return {
        replicas: s.spec?.replicas ?? 0,
        statusReplicas: s.status?.replicas ?? 0,
        ...(s.metadata?.resourceVersion ? { resourceVersion: s.metadata.resourceVersion } : {}),
      };
    } catch (err) {
      throw this.translate(err, namespace, ref);
    }
  }

  /** Sets spec.replicas; a merge patch, so a concurrent change to other fields is never overwritten. */
  async patch(namespace: string, ref: ScaleTargetRef, replicas: number): Promise<void> {
    const path = await this.scalePath(namespace, ref);
    try {
      await this.kube.patch(path, { spec: { replicas } });
    } catch (err) {
      throw this.translate(err, namespace, ref);
    }
  }

  private translate(err: unknown, namespace: string, ref: ScaleTargetRef): unknown {
    if (err instanceof KubeApiError && err.statusCode === 404) {
      return new ScaleTargetError('TargetNotFound', `${ref.kind} ${namespace}/${ref.name}`, `${ref.kind} ${namespace}/${ref.name} does not exist`, {
        cause: err,
      });
    }
    return err;
  }
}
