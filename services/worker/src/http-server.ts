/** The small operations port: /healthz (alive), /readyz (consuming), /metrics (Prometheus). */
import http from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  port: number;
  registry: Registry;
  /** Ready = joined the consumer group and not shutting down; details are for humans. */
  readiness: () => { ready: boolean; details?: Record<string, unknown> };
  host?: string;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, JSON.stringify({ error: 'method not allowed' }));
    if (path === '/healthz') return send(200, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      const r = opts.readiness();
      return send(r.ready ? 200 : 503, JSON.stringify({ status: r.ready ? 'ready' : 'not ready', ...r.details }));
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => send(200, text, opts.registry.contentType),
        () => send(500, JSON.stringify({ error: 'metrics unavailable' })),
      );
      return;
    }
    send(404, JSON.stringify({ error: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { server, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
