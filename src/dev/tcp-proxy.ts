/**
 * A TCP proxy on 127.0.0.1 and a port of its own, in front of a test platform's database, that can go
 * down (the port closed, every connection through it cut) and come back on the same port: how a test
 * takes a platform's exchange database away from the gateway without stopping the server.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { closeAndCut, listenOn } from './down-and-back.js';

export class TcpProxy {
  port = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.port = await listenOn(server, this.port);
    this.server = server;
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async goDown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await closeAndCut(server, this.sockets);
  }

  comeBack(): Promise<void> {
    return this.start();
  }

  stop(): Promise<void> {
    return this.goDown();
  }
}
