import { connect, createServer, type Server, type Socket } from 'node:net';

export interface PostgresProxy {
  /** `targetUrl` with host and port pointing at the proxy. */
  readonly url: string;
  /** Postgres becomes unreachable: open connections are reset and new ones refused. */
  cut(): Promise<void>;
  /** Postgres is reachable again at the same `url`: the proxy listens on its old port once more. */
  restore(): Promise<void>;
  /** Stops the proxy for good (like `cut`); call it in `afterAll`/`finally` so no listener outlives the test. */
  close(): Promise<void>;
}

/**
 * A plain TCP hop in front of the real Postgres, so a test can take the database away from a running app
 * without stopping the server other test files share, and give it back without restarting the app.
 */
export async function startPostgresProxy(targetUrl: string): Promise<PostgresProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) });
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', failed);
        listening();
      });
    });
  await listen(0);
  const { port } = server.address() as { port: number };
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  const cut = () =>
    new Promise<void>((closed) => {
      if (!server.listening) {
        closed();
        return;
      }
      // `close` stops accepting at once and calls back when the last connection is gone; we reset them all.
      server.close(() => closed());
      for (const socket of sockets) socket.destroy();
    });

  return {
    url: url.toString(),
    cut,
    restore: async () => {
      if (!server.listening) await listen(port);
    },
    close: cut,
  };
}
