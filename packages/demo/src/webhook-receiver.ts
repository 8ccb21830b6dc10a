/** Where the demo's notifier delivers alert transitions: a loopback HTTP server that checks each signature and counts. */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  kind: string;
  severity: string;
  deviceId: string;
  signatureValid: boolean;
}

export async function startWebhookReceiver(secret: string): Promise<{ url: string; deliveries: Delivery[]; close: () => Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      // Floodgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
      const header = String(req.headers['floodgate-signature'] ?? '');
      const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
      const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
      const signatureValid =
        typeof parts.v1 === 'string' && parts.v1.length === expected.length && crypto.timingSafeEqual(Buffer.from(parts.v1), Buffer.from(expected));
      try {
        const alert = JSON.parse(body) as { kind?: string; transition?: string; severity?: string; deviceId?: string };
        deliveries.push({
          kind: alert.kind ?? alert.transition ?? 'unknown',
          severity: alert.severity ?? 'unknown',
          deviceId: alert.deviceId ?? 'unknown',
          signatureValid,
        });
      } catch {
        deliveries.push({ kind: 'unreadable', severity: 'unknown', deviceId: 'unknown', signatureValid });
      }
      res.writeHead(signatureValid ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    deliveries,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
