/**
 * What the test servers that go down and come back share (the service platform's intake, the TCP proxy
 * in front of a platform's database): listening on 127.0.0.1 on a port kept across restarts, and going
 * down with the port closed and every open connection cut.
 */
import type { Server } from 'node:net';

/** Listens on 127.0.0.1 at `port` (0: any free one); returns the port. */
export async function listenOn(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as { port: number }).port;
}

/** Closes the server and cuts every connection it has open. */
export async function closeAndCut(server: Server, sockets: ReadonlySet<{ destroy(): void }>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of sockets) s.destroy();
  await closed;
}
