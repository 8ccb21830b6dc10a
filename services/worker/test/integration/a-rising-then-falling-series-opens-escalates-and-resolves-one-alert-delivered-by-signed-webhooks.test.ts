import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeEvent, produceEvents, spawnWorker, sql, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';
import { verifySignature } from '../../src/notifier/webhook-signature';

jest.setTimeout(120000);

const prefix = `wk-alerts-${process.pid}`;
const secret = 'test-webhook-secret-0123456789';
const bed = useWorkerTestBed(prefix, 'worker_alerts', async () => {
  await new Promise((r) => receiver?.close(r));
});
let receiver: http.Server;
let receiverUrl: string;
interface Delivery {
  body: string;
  signatureValid: boolean;
  deliveryId: string;
  attempt: number;
  status: number;
}
const deliveries: Delivery[] = [];

beforeAll(async () => {
  // A real webhook receiver: verifies the signature as documented, and answers 500 to the very first request.
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = deliveries.length === 0 ? 500 : 204;
      deliveries.push({
        body,
        signatureValid: verifySignature(secret, body, req.headers['floodgate-signature'] as string | undefined, Math.floor(Date.now() / 1000)),
        deliveryId: String(req.headers['floodgate-delivery-id']),
        attempt: Number(req.headers['floodgate-attempt']),
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/floodgate`;
});

describe('alerts', () => {
  it('a rising then falling rainfall series opens, escalates and resolves exactly one alert, delivered by signed webhooks with a retry after a 500', async () => {
    const base = Date.parse('2026-11-22T20:00:00Z');
    // The seeded rainfall-intensity rule: info >= 7.6, warning >= 14.8, critical >= 29.8 mm/h, clears at <= 2.5.
    const series = [1, 4, 8, 9, 12, 16, 22, 31, 26, 12, 6, 3, 2, 1];
    const events = series.map((v, i) => makeEvent('slope-12', new Date(base + i * 600000), { rain_mm_h: v }));
    const other = Array.from({ length: 20 }, (_, i) => makeEvent(`quiet-${i}`, new Date(base + i * 1000), { rain_mm_h: 1 }));
    // The series twice (a redelivery) plus quiet devices that must raise nothing.
    await produceEvents(bed.producer, prefix, [...events, ...other, ...events]);

    const worker = spawnWorker(workerEnv(prefix, bed.db.url));
    const notifier = spawnWorker(
      {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
        KAFKA_TOPIC_PREFIX: prefix,
        NOTIFIER_GROUP_ID: `${prefix}-notifier`,
        NOTIFIER_WEBHOOK_URLS: receiverUrl,
        NOTIFIER_WEBHOOK_SECRET: secret,
        NOTIFIER_ALLOW_PRIVATE_TARGETS: 'true',
        NOTIFIER_RETRY_BASE_MS: '200',
      },
      'notify',
    );
    await waitFor(async () => (await uncommitted(bed.kafka, `${prefix}-worker`, `${prefix}.events`)) === 0, 60000, 'the worker to commit every offset');

    const alerts = await sql<{ id: string; device_id: string; status: string; severity: string; peak_value: number }>(
      bed.db.url,
      `select id, device_id, status, severity, peak_value from alerts`,
    );
    expect(alerts).toEqual([{ id: expect.any(String), device_id: 'slope-12', status: 'resolved', severity: 'critical', peak_value: 31 }]);
    const transitions = await sql<{ kind: string; severity: string; value: number }>(
      bed.db.url,
      `select kind, severity, value from alert_transitions order by id`,
    );
    expect(transitions).toEqual([
      { kind: 'opened', severity: 'info', value: 8 },
      { kind: 'escalated', severity: 'warning', value: 16 },
      { kind: 'escalated', severity: 'critical', value: 31 },
      { kind: 'resolved', severity: 'critical', value: 2 },
    ]);

    // Every transition reaches the receiver, signed; the first one after a 500 and a retry.
    await waitFor(() => new Set(deliveries.filter((d) => d.status === 204).map((d) => d.deliveryId)).size >= 4, 30000, 'four delivered transitions');
    expect(deliveries.every((d) => d.signatureValid)).toBe(true);
    expect(deliveries[0]).toMatchObject({ status: 500, attempt: 1 });
    expect(deliveries[1]).toMatchObject({ status: 204, attempt: 2, deliveryId: deliveries[0]!.deliveryId });
    const kinds = deliveries.filter((d) => d.status === 204).map((d) => (JSON.parse(d.body) as { kind: string; deviceId: string }).kind);
    expect(kinds).toEqual(['opened', 'escalated', 'escalated', 'resolved']);
    // The ops port tells the same story in metrics (the dashboards' names), and says it is ready.
    const port = /"httpPort":(\d+)/.exec(worker.output())?.[1];
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/floodgate_alerts_transitions_total\{kind="escalated",severity="critical"\} 1\b/);
    expect(metrics).toMatch(/floodgate_worker_events_processed_total\{outcome="stored"\} 34\b/);
    expect(metrics).toMatch(/floodgate_worker_events_processed_total\{outcome="duplicate"\} 14\b/);

    // Published means gone from the outbox.
    await waitFor(async () => (await sql<{ n: number }>(bed.db.url, 'select count(*)::int as n from alert_outbox'))[0]!.n === 0, 10000, 'an empty outbox');

    expect(await worker.stop()).toBe(0);
    expect(await notifier.stop()).toBe(0);
  });
});
