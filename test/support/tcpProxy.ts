import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL here), so a test can take
 * the server away and bring it back without touching it:
 *
 * - `stop()` closes the port and resets every open connection (a crashed or restarted server);
 * - `blackhole()` keeps sockets open but forwards nothing, and accepts new connections that
 *   never answer (a network partition, where no RST ever arrives);
 * - `start()` again serves on the same port, as the server coming back.
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private listenPort = 0;
  private mode: 'forward' | 'blackhole' = 'forward';
  /** Connections accepted since construction (both modes). */
  accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get port(): number {
    return this.listenPort;
  }

  /** Listens (on the previous port after a stop, else on a free one) and forwards. */
  async start(): Promise<number> {
    this.mode = 'forward';
    if (this.server) return this.listenPort;
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.listenPort = (server.address() as net.AddressInfo).port;
    return this.listenPort;
  }

  /** Closes the port and resets every connection through it. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Silently drops all traffic from now on, on open and new connections alike. */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    this.sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => this.sockets.delete(client));
    if (this.mode === 'blackhole') {
      client.on('data', () => undefined);
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    // Forward by hand (not pipe) so blackhole() can stop the flow on an open connection.
    client.on('data', (d) => {
      if (this.mode === 'forward') upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (this.mode === 'forward') client.write(d);
    });
  }
}
