import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with one client connection:
 * - pass: forwards both ways;
 * - delay: forwards both ways, each chunk `delayMs` late;
 * - reset: takes the request, then resets the connection before it reaches the server;
 * - cut: forwards the request, then resets the connection when the answer starts (the server
 *   has done the work; the client never hears);
 * - swallow: forwards the request, drops the answer and keeps the connection open;
 * - blackhole: accepts, reads and never answers, connection kept open.
 */
export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'reset' }
  | { kind: 'cut' }
  | { kind: 'swallow' }
  | { kind: 'blackhole' };

export interface FaultyProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Decides the mode of each new connection. */
  policy: () => FaultMode;
  /** Counts of connections by the mode they got. */
  readonly counts: Record<FaultMode['kind'], number>;
  /** Open connections go silent both ways and stay open (a dead NAT mapping). */
  silenceOpenConnections(): void;
  /** Open connections are reset (a lost mobile link): new ones get new faults. */
  resetOpenConnections(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy in front of `targetPort` that injects faults per connection. */
export async function startFaultyProxy(targetPort: number): Promise<FaultyProxy> {
  const open = new Set<{ client: Socket; upstream?: Socket; silence(): void }>();
  const counts = { pass: 0, delay: 0, reset: 0, cut: 0, swallow: 0, blackhole: 0 };
  const proxy: FaultyProxy = {
    url: '',
    policy: () => ({ kind: 'pass' }),
    counts,
    silenceOpenConnections() {
      for (const connection of open) connection.silence();
    },
    resetOpenConnections() {
      for (const { client } of open) client.resetAndDestroy();
    },
    async close() {
      for (const { client, upstream } of open) {
        client.destroy();
        upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((client) => {
    const mode = proxy.policy();
    counts[mode.kind] += 1;
    client.on('error', () => undefined);
    let silent = false;
    const connection: { client: Socket; upstream?: Socket; silence(): void } = {
      client,
      silence: () => {
        silent = true;
      },
    };
    open.add(connection);
    client.on('close', () => {
      open.delete(connection);
      connection.upstream?.destroy();
    });
    if (mode.kind === 'blackhole') {
      client.on('data', () => undefined);
      return;
    }
    if (mode.kind === 'reset') {
      client.once('data', () => client.resetAndDestroy());
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    connection.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      if (!silent && mode.kind !== 'swallow') client.destroy();
    });
    const later = (run: () => void) =>
      mode.kind === 'delay' ? setTimeout(run, mode.delayMs) : run();
    client.on('data', (chunk) => {
      if (!silent) later(() => upstream.write(chunk));
    });
    client.on('end', () => later(() => upstream.end()));
    upstream.on('data', (chunk) => {
      if (silent || mode.kind === 'swallow') return;
      if (mode.kind === 'cut') {
        client.resetAndDestroy();
        return;
      }
      later(() => {
        if (!client.destroyed) client.write(chunk);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no port');
  proxy.url = `http://127.0.0.1:${address.port}`;
  return proxy;
}
