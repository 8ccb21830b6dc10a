import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { newLedger, sendBatch, type LedgerEvent } from '../../src';

// A fake API (a plain HTTP server scripted per test): the real API's integration tests
// live in services/api; here only the client's retry and ledger rules are under test.
function fakeApi(script: (attempt: number) => { status: number; retryAfter?: number } | 'hang') {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      const step = script(bodies.length);
      if (step === 'hang') return; // never answers: the client times out
      res.writeHead(step.status, step.retryAfter ? { 'retry-after': String(step.retryAfter) } : {});
      res.end('{}');
    });
  });
  return new Promise<{ url: string; bodies: string[]; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bodies,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

const events: LedgerEvent[] = [
  { eventId: '0190d5a0-0000-7000-8000-000000000001', deviceId: 'slope-1', ts: '2026-11-23T10:00:00.000Z', metrics: { rain_mm_h: 1 } },
  { eventId: '0190d5a0-0000-7000-8000-000000000002', deviceId: 'slope-2', ts: '2026-11-23T10:00:00.000Z', metrics: { rain_mm_h: 2 } },
];

describe('the gateway client', () => {
  it('retries a 503 with the very same event ids and counts them accepted on 202', async () => {
    const api = await fakeApi((n) => (n < 3 ? { status: 503, retryAfter: 0 } : { status: 202 }));
    const ledger = newLedger();
    try {
      expect(await sendBatch(events, { baseUrl: api.url, token: 't', ledger })).toBe('accepted');
    } finally {
      api.close();
    }
    expect(api.bodies).toHaveLength(3);
    expect(new Set(api.bodies).size).toBe(1); // byte-identical retries
    expect([...ledger.accepted]).toEqual(events.map((e) => e.eventId));
    expect(ledger.retries).toBe(2);
    expect(ledger.statusCounts).toEqual({ '503': 2, '202': 1 });
  });

  it('counts a definite 400 as rejected, without retrying', async () => {
    const api = await fakeApi(() => ({ status: 400 }));
    const ledger = newLedger();
    try {
      expect(await sendBatch(events, { baseUrl: api.url, token: 't', ledger })).toBe('rejected');
    } finally {
      api.close();
    }
    expect(api.bodies).toHaveLength(1);
    expect(ledger.rejected.size).toBe(2);
    expect(ledger.accepted.size).toBe(0);
  });

  it('counts events as undetermined when no attempt got an answer', async () => {
    const api = await fakeApi(() => 'hang');
    const ledger = newLedger();
    try {
      expect(await sendBatch(events, { baseUrl: api.url, token: 't', ledger, maxAttempts: 2, timeoutMs: 200 })).toBe('undetermined');
    } finally {
      api.close();
    }
    expect(ledger.undetermined.size).toBe(2);
    expect(ledger.statusCounts['no-answer']).toBe(2);
  });
});
