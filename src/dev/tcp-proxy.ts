/**
 * A TCP proxy on 127.0.0.1 and a port of its own, in front of a test platform's database, that can go
 * down (the port closed, every connection through it cut) and come back on the same port: how a test
 * takes a platform's exchange database away from the gateway without stopping the server.
 */
import { createServer, connect, type Server } from 'node:net';
import { DownAndBackServer } from './down-and-back.js';

export class TcpProxy extends DownAndBackServer {
  constructor(private readonly target: { host: string; port: number }) {
    super();
  }

  protected createServer(): Server {
    return createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.track(s);
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}
