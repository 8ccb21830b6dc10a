/**
 * HTTP/1.1 over a bare TCP socket, for requests `fetch` refuses to send: a Content-Length that does not
 * match the body, header names or values with control bytes, methods such as TRACE, paths that are not
 * normalised, bodies trickled slowly. Each request is its own connection; the response is read until the
 * server closes it (send `Connection: close`) or until `waitMs` passes.
 */
import net from 'node:net';

export interface RawResponse {
  /** undefined when the server closed the connection without answering. */
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (rather than the client giving up after waitMs). */
  closedByServer: boolean;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: [string, string][];
  body?: Buffer | string;
  /** Defaults to the body's length; a number writes that value whatever the body is, null writes none. */
  contentLength?: number | null;
}

/** Serialises a request exactly as given (no validation). `Host` and `Connection: close` are added unless present. */
export function requestBytes(req: RawRequest): Buffer {
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers = [...(req.headers ?? [])];
  const has = (name: string) => headers.some(([k]) => k.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', '127.0.0.1']);
  if (!has('connection')) headers.push(['Connection', 'close']);
  const length = req.contentLength === undefined ? (body.length > 0 || req.method === 'POST' || req.method === 'PUT' ? body.length : null) : req.contentLength;
  if (length !== null && !has('content-length') && !has('transfer-encoding')) headers.push(['Content-Length', String(length)]);
  const head = `${req.method} ${req.path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export function parseResponse(raw: Buffer, closedByServer: boolean): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!statusLine || end < 0) return { headers: {}, body: text, closedByServer };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status: Number(statusLine[1]), headers, body: body.toString('utf8'), closedByServer };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * Sends `bytes` (or calls `write` to send them over time) and collects the response. `halfClose` ends the
 * client's side after writing, as a client that gave up on the body would.
 */
export function rawExchange(
  port: number,
  bytes: Buffer | ((socket: net.Socket) => void),
  opts: { waitMs?: number; halfClose?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => socket.destroy(), opts.waitMs ?? 10_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => (closedByServer = true));
    socket.on('error', () => (closedByServer = true)); // a reset is the server closing too
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks), closedByServer));
    });
    socket.once('connect', () => {
      if (typeof bytes === 'function') bytes(socket);
      else socket.write(bytes, () => opts.halfClose && socket.end());
    });
  });
}

export function rawRequest(port: number, req: RawRequest, opts: { waitMs?: number; halfClose?: boolean } = {}): Promise<RawResponse> {
  return rawExchange(port, requestBytes(req), opts);
}

export interface StagedOutcome {
  /** Everything the server sent, as latin1 text. */
  response: string;
  /** The code of a socket error (a reset while writing), if there was one. */
  error?: string;
  /** The server ended the connection (FIN) rather than the client giving up. */
  closedByServer: boolean;
}

/**
 * Sends `head` and the first `first` bytes of a body, waits for the server's answer, then sends `rest` more bytes
 * and ends. A server that closes at once after answering has gone by then, and the later writes fail with a
 * reset (`error`); a server that closes in stages (RFC 9112 §9.6) reads them and the close is orderly.
 */
export function sendRestAfterTheAnswer(port: number, head: string, first: number, rest: number): Promise<StagedOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let error: string | undefined;
    let closedByServer = false;
    let restSent = false;
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString('latin1');
      if (restSent || !response.includes('\r\n\r\n')) return;
      restSent = true;
      socket.write(Buffer.alloc(rest, 'b'), () => socket.end());
    });
    socket.on('end', () => (closedByServer = true));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => resolve({ response, closedByServer, ...(error ? { error } : {}) }));
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.alloc(first, 'a')]));
  });
}
