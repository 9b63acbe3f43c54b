/**
 * What the test servers that go down and come back share (the service platform's intake, the TCP proxy
 * in front of a platform's database): listening on 127.0.0.1 on a port kept across restarts, and going
 * down with the port closed and every open connection cut.
 */
import type { Server, Socket } from 'node:net';

export abstract class DownAndBackServer {
  /** the port, kept across restarts (0 before the first start: any free one) */
  port = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  /** A new server to listen with, at each start; it passes the connections it takes to `track`. */
  protected abstract createServer(): Server;

  async start(): Promise<void> {
    const server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** A connection to cut when the server goes down. */
  protected track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** The port closed and every open connection cut. */
  async goDown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Listening again, on the same port. */
  comeBack(): Promise<void> {
    return this.start();
  }

  stop(): Promise<void> {
    return this.goDown();
  }
}
