/**
 * Closes connections in stages, as RFC 9112 §9.6 asks of a server that closes while the client may still be
 * sending: half-close (our FIN after the last response), keep reading and discarding what the client sends, and
 * close fully once the client has closed its side or a bound has passed.
 *
 * Node closes at once: after a response to a `Connection: close` request, or after answering a request its parser
 * refused, the socket is destroyed as soon as the response is written, whatever the client is still sending (an
 * unauthenticated 1 MiB upload, a malformed request line followed by its body). The kernel then answers the
 * client's next bytes with a reset, and a reset can make the client lose the response it had not read yet: the
 * client sees a dropped connection instead of our 401 or 400 problem. Apache and nginx linger for the same reason
 * (`lingering_close`).
 */
import type http from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection keeps reading what the client still sends before it is closed regardless. */
export const LINGER_MS = 5_000;

const lingering = new WeakSet<Socket>();

/** True once `closeInStages` ran on the socket: what arrives from then on is discarded, not parsed as a request. */
export function isLingering(socket: Socket): boolean {
  return lingering.has(socket);
}

/** Sends what is written so far and a FIN, discards what the client sends, and closes when it closes or after `ms`. */
export function closeInStages(socket: Socket, ms = LINGER_MS): void {
  if (lingering.has(socket) || socket.destroyed) return;
  lingering.add(socket);
  let written = false;
  let clientDone = socket.readableEnded || !socket.readable;
  const closeIfDone = () => {
    if (written && clientDone) socket.destroy();
  };
  const bound = setTimeout(() => socket.destroy(), ms);
  bound.unref();
  socket.once('close', () => clearTimeout(bound));
  socket.once('end', () => {
    clientDone = true;
    closeIfDone();
  });
  socket.end(() => {
    written = true;
    closeIfDone();
  });
  // Keep reading: the HTTP parser (or, after a parse error, nothing) consumes and discards the rest.
  socket.resume();
}

/**
 * Makes every close the HTTP server initiates after a response a close in stages. Node's server closes through
 * `socket.destroySoon()` (lib/_http_server.js, resOnFinish) when the response was the connection's last.
 */
export function lingerOnClose(server: http.Server, ms = LINGER_MS): void {
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = () => closeInStages(socket, ms);
  });
}
