/**
 * The operator's one path to the Kubernetes API: JSON requests with the KubeConfig's credentials
 * (token, client certificate, in-cluster service account), every call counted by verb, resource
 * and status code, failures raised as a typed KubeApiError with the request in its message.
 */
import https from 'node:https';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    /** The API's `reason` (NotFound, Forbidden, Conflict, Invalid, ...) or a transport error code. */
    readonly reason: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${path}: ${statusCode ? `HTTP ${statusCode} ${reason}` : reason}: ${detail}`, options);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (err: unknown) => err instanceof KubeApiError && err.statusCode === 404;
export const isConflict = (err: unknown) => err instanceof KubeApiError && err.statusCode === 409;
export const isForbidden = (err: unknown) => err instanceof KubeApiError && err.statusCode === 403;

export interface RequestCounter {
  (verb: string, resource: string, code: string): void;
}

export type PatchType = 'merge' | 'json';

/** `/apis/apps/v1/namespaces/ns/deployments/x/scale` → `deployments/scale`, for metrics without names. */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const i = parts.indexOf('namespaces');
  const rest = i >= 0 ? parts.slice(i + 2) : parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest.length === 0) return i >= 0 ? 'namespaces' : parts.slice(0, 3).join('/') || 'discovery';
  return rest.length >= 3 ? `${rest[0]}/${rest[2]}` : rest[0]!;
}

export class KubeClient {
  private readonly server: string;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly count: RequestCounter = () => undefined,
    private readonly timeoutMs = 10_000,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster (set KUBECONFIG or run in a pod with a service account)');
    this.server = cluster.server.replace(/\/$/, '');
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.request<T>('PATCH', path, body, type === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json');
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const url = new URL(this.server + path);
    const opts: https.RequestOptions = {
      method,
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': contentType } : {}) },
      timeout: this.timeoutMs,
    };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const verb = method.toLowerCase();
    const resource = resourceOf(path);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', (err) => reject(new KubeApiError(method, path, 0, 'ResponseError', err.message, { cause: err })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          this.count(verb, resource, String(code));
          if (code >= 200 && code < 300) {
            try {
              resolve((text ? JSON.parse(text) : {}) as T);
            } catch (err) {
              reject(new KubeApiError(method, path, code, 'BadResponse', `not JSON: ${text.slice(0, 200)}`, { cause: err }));
            }
            return;
          }
          let reason = http.STATUS_CODES[code] ?? 'Error';
          let detail = text.slice(0, 500);
          try {
            const status = JSON.parse(text) as { reason?: string; message?: string };
            reason = status.reason ?? reason;
            detail = status.message ?? detail;
          } catch {
            // not a Status object; keep the raw text
          }
          reject(new KubeApiError(method, path, code, reason, detail));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        this.count(verb, resource, 'error');
        reject(new KubeApiError(method, path, 0, err.code ?? 'RequestError', err.message, { cause: err }));
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}
