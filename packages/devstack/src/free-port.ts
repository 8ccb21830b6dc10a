/** Loopback ports: pick a free one, or prove a requested one is free. */
import net from 'node:net';
import { StackError } from './stack-error';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new StackError(
          `${what}: port 127.0.0.1:${port} is ${err.code === 'EADDRINUSE' ? 'already in use' : `unusable (${err.code})`}`,
          `stop whatever listens there (ss -ltnp 'sport = :${port}'), or unset the variable that asks for port ${port} so a free port is chosen`,
          { cause: err },
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

/** A port from an environment variable if set (and free), otherwise a free one. */
export async function portFromEnv(variable: string, what: string): Promise<number> {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return freePort();
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StackError(`${variable}=${raw} is not a TCP port`, `set ${variable} to a number from 1 to 65535, or unset it`);
  }
  await assertPortFree(port, what);
  return port;
}
