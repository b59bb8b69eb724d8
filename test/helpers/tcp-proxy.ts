import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Simulates a network outage: drops every connection and refuses new ones. */
  cut(): void;
  restore(): void;
  /** Connections refused while cut: a client's reconnect attempts. */
  refused(): number;
  /** Simulates the server being down: drops every connection and stops listening, so connecting fails (ECONNREFUSED). */
  close(): Promise<void>;
  /** Listens again on the same port after close(). */
  reopen(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A plain TCP forwarder on loopback that a test can cut and restore: a broker
 * outage for a client that points at it, without stopping the broker itself
 * (the shared Mosquitto cannot be stopped by one test).
 */
export async function startTcpProxy(target: { host: string; port: number }, host = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let down = false;
  let refused = 0;
  const server: Server = createServer((client) => {
    if (down) {
      refused++;
      client.destroy();
      return;
    }
    const upstream = connect(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no TCP address');
  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    host,
    port: address.port,
    cut() {
      down = true;
      dropAll();
    },
    restore() {
      down = false;
    },
    refused: () => refused,
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async reopen() {
      server.listen(address.port, host);
      await once(server, 'listening');
    },
    async stop() {
      down = true;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A proxy in front of the server a URL names (a database, a broker), runs `fn`
 * with the proxy and the same URL pointing through it, and stops the proxy after.
 */
export async function withProxyInFront<T>(url: string, defaultPort: number, fn: (proxy: TcpProxy, proxiedUrl: string) => Promise<T>): Promise<T> {
  const target = new URL(url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || defaultPort) });
  const proxied = new URL(url);
  proxied.host = `${proxy.host}:${proxy.port}`;
  try {
    return await fn(proxy, proxied.toString());
  } finally {
    await proxy.stop();
  }
}
