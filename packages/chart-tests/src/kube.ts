/**
 * A small client for the real kube-apiserver of the local stack: apply CRDs and wait until they are served, and
 * send any rendered object with dryRun=All and fieldValidation=Strict, so the server's admission and schema
 * validation (including CRD schemas and CEL rules) judge it and unknown fields are errors, not silently pruned.
 */
import fs from 'node:fs';
import https from 'node:https';
import { parse, parseAllDocuments } from 'yaml';
import type { K8sObject } from './charts';

export class KubeRequestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${status} ${statusMessage(body)}`);
    this.name = 'KubeRequestError';
  }
}

/** The `message` of a Kubernetes Status body, else the start of the body. */
function statusMessage(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? body.slice(0, 600));
  } catch {
    return body.slice(0, 600);
  }
}

export interface KubeTarget {
  server: string;
  token: string;
}

/** The API server and admin token from a kubeconfig written by the devstack (token auth, self-signed serving cert). */
export function kubeTarget(kubeconfig = process.env.KUBECONFIG): KubeTarget {
  if (!kubeconfig) throw new Error('KUBECONFIG is not set: start the devstack kube server (floodgate-stack up --servers kube)');
  const cfg = parse(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
  return { server: cfg.clusters[0]!.cluster.server, token: cfg.users[0]!.user.token };
}

export function kubeRequest<T = any>(target: KubeTarget, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, target.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        rejectUnauthorized: false, // the devstack's self-signed serving certificate, on loopback
        headers: { authorization: `Bearer ${target.token}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
        timeout: 30000,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          res.statusCode! < 300 ? resolve(text ? JSON.parse(text) : undefined) : reject(new KubeRequestError(method, path, res.statusCode!, text)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Creates or replaces every CRD in the files and waits until each is Established. */
export async function applyCrds(target: KubeTarget, files: string[]): Promise<string[]> {
  const names: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as K8sObject | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
      const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
      try {
        const existing = await kubeRequest(target, 'GET', path);
        await kubeRequest(target, 'PUT', path, { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion } });
      } catch (err) {
        if (!(err instanceof KubeRequestError && err.status === 404)) throw err;
        await kubeRequest(target, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      }
      names.push(crd.metadata.name);
    }
  }
  for (const name of names) {
    for (let i = 0; ; i++) {
      const crd = await kubeRequest(target, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      if (crd.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True')) break;
      if (i > 100) throw new Error(`CRD ${name} was not Established after 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return names;
}

const plurals = new Map<string, { name: string; namespaced: boolean }>();

/** The REST path of an object's collection, from the server's discovery (cached per group/version). */
export async function collectionPath(target: KubeTarget, obj: Pick<K8sObject, 'apiVersion' | 'kind'>, namespace: string): Promise<string> {
  const key = `${obj.apiVersion}/${obj.kind}`;
  if (!plurals.has(key)) {
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const list = await kubeRequest<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(target, 'GET', base);
    for (const r of list.resources) if (!r.name.includes('/')) plurals.set(`${obj.apiVersion}/${r.kind}`, { name: r.name, namespaced: r.namespaced });
  }
  const found = plurals.get(key);
  if (!found) throw new Error(`the API server does not serve ${key}`);
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  return found.namespaced ? `${base}/namespaces/${namespace}/${found.name}` : `${base}/${found.name}`;
}

/** Sends the object as a create with dryRun=All and fieldValidation=Strict; resolves to the server's answer. */
export async function dryRunCreate(target: KubeTarget, obj: K8sObject, namespace: string): Promise<K8sObject> {
  const path = `${await collectionPath(target, obj, namespace)}?dryRun=All&fieldValidation=Strict`;
  return kubeRequest(target, 'POST', path, { ...obj, metadata: { ...obj.metadata, namespace } });
}

export async function getObject(
  target: KubeTarget,
  obj: Pick<K8sObject, 'apiVersion' | 'kind'>,
  namespace: string,
  name: string,
): Promise<K8sObject | undefined> {
  try {
    return await kubeRequest(target, 'GET', `${await collectionPath(target, obj, namespace)}/${name}`);
  } catch (err) {
    if (err instanceof KubeRequestError && err.status === 404) return undefined;
    throw err;
  }
}

export async function createNamespace(target: KubeTarget, prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}`.slice(0, 63);
  await kubeRequest(target, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  return name;
}
