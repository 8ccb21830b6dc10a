/**
 * A loopback TCP proxy that can freeze every connection open at that moment: no bytes pass and
 * nothing is closed, as when a watch dies silently behind a NAT or load balancer
 * (kubernetes-client/javascript#596, #958). New connections pass normally.
 */
import net from 'node:net';

export class FreezingProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private readonly frozenPairs: [net.Socket, net.Socket][] = [];
  frozen = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)));
  }

  /** Stops every open connection from carrying data, without closing it. */
  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.frozenPairs.push([client, upstream]);
      this.frozen++;
    }
    this.pairs.clear();
  }

  /** Closes the listener and every connection, frozen or not. */
  close(): Promise<void> {
    for (const [a, b] of [...this.pairs, ...this.frozenPairs]) {
      a.destroy();
      b.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
