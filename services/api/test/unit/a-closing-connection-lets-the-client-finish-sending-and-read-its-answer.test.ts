/**
 * RFC 9112 §9.6: a server that closes while the client is still sending must close in stages, or the kernel's
 * reset can erase the response before the client reads it. A plain HTTP server on loopback (no other servers)
 * with the API's two installers: the parser-error answer and the close in stages.
 *
 * Each client here sends the head and part of a large body, waits for the answer, then sends the rest
 * (sendRestAfterTheAnswer): a server that closes at once has gone by then and the later writes are reset.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { answerClientErrorsWithProblems } from '../../src/client-errors';
import { lingerOnClose } from '../../src/lingering-close';
import { sendRestAfterTheAnswer } from '../support/raw-http';

let server: http.Server;
let port: number;
const lingerMs = 1_000;

beforeAll(async () => {
  // Answers 401 without reading the body, as the API's authentication does before any body is parsed.
  server = http.createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{"status":401}');
  });
  answerClientErrorsWithProblems(server, { 'x-content-type-options': 'nosniff' }, lingerMs);
  lingerOnClose(server, lingerMs);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const body = 2 * 1024 * 1024;
const first = 64 * 1024;

it('answers a request its parser refuses and lets the client finish sending the body before closing', async () => {
  // A lower-case method is not HTTP: Node's parser refuses the request line before any body is read.
  const head = `get /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body}\r\n\r\n`;
  const outcome = await sendRestAfterTheAnswer(port, head, first, body - first);
  expect(outcome.error).toBeUndefined();
  expect(outcome.closedByServer).toBe(true);
  expect(outcome.response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect(outcome.response).toContain('"status":400');
  expect(outcome.response.match(/HTTP\/1\.1 \d{3} /g)).toHaveLength(1); // the discarded bytes were not answered again
});

it('answers a Connection: close request without reading its body and lets the client finish sending before closing', async () => {
  const head = `POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body}\r\n\r\n`;
  const outcome = await sendRestAfterTheAnswer(port, head, first, body - first);
  expect(outcome.error).toBeUndefined();
  expect(outcome.closedByServer).toBe(true);
  expect(outcome.response).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
  expect(outcome.response).toContain('{"status":401}');
});

it('still closes a connection whose client keeps sending after the answer, once the linger bound has passed', async () => {
  // allowHalfOpen: the server's FIN does not end this client's side; it goes on sending.
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let response = '';
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
  socket.on('error', () => undefined); // the reset that ends this connection is the point
  socket.write(`get / HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * body}\r\n\r\n`);
  let sent = 0;
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(Buffer.alloc(1024, 'c'));
    sent++;
  }, 20);
  await closed;
  clearInterval(trickle);
  expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  // It lingered (read for about a second) rather than closing at once, when the first write would have been reset.
  expect(sent).toBeGreaterThanOrEqual(5);
});

it('keeps a keep-alive connection open for the next request', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/', agent }, (res) => {
        ports.push(res.socket.localPort!);
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end('{}');
    });
  }
  agent.destroy();
  expect(ports[0]).toBe(ports[1]);
});
