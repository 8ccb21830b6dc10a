/**
 * Requests Node's HTTP parser refuses before Express sees them (a malformed request line or header, a header
 * section over the 16 KiB limit, a request that did not arrive within the server's header or request timeout)
 * are answered with an RFC 9457 problem like every other error, instead of Node's bare status line. When a
 * response may be written follows Node's own default handler (lib/_http_server.js, socketOnError): only on a
 * writable socket on which no response has started. After an answer the connection is closed in stages (the client
 * may still be sending the body of the refused request); without one it is closed at once.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { closeInStages, isLingering, LINGER_MS } from './lingering-close';
import { problemTypes, type ProblemKind } from './problem';

interface Answer {
  status: number;
  reason: string;
  kind: ProblemKind;
  detail: string;
}

const answers: Record<string, Answer> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    kind: 'headersTooLarge',
    detail: 'the request line and headers together are larger than 16 KiB',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, reason: 'Payload Too Large', kind: 'payloadTooLarge', detail: 'the chunk extensions are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', kind: 'requestTimeout', detail: 'the request did not arrive within the server timeout' },
};
const malformed: Answer = { status: 400, reason: 'Bad Request', kind: 'malformedRequest', detail: 'the request is not well-formed HTTP/1.1' };

export function problemResponse(code: string | undefined, headers: Record<string, string>): string {
  const answer = (code && answers[code]) || malformed;
  const { type, title } = problemTypes[answer.kind];
  const body = JSON.stringify({ type, title, status: answer.status, detail: answer.detail });
  const lines = [
    `HTTP/1.1 ${answer.status} ${answer.reason}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Installs the problem answer for parser-level errors; `headers` are the security headers every response carries.
 * `lingerMs` bounds how long a connection that was answered keeps reading before it is closed.
 */
export function answerClientErrorsWithProblems(server: http.Server, headers: Record<string, string>, lingerMs = LINGER_MS): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A connection closing in stages: the parser repeats its error for every chunk it is still given. Discard them.
    if (isLingering(socket as Socket)) return;
    // The response of an earlier request on this connection may be on its way: bytes of ours would corrupt it.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      socket.write(problemResponse(err.code, headers));
      closeInStages(socket as Socket, lingerMs);
      return;
    }
    socket.destroy(err);
  });
}
