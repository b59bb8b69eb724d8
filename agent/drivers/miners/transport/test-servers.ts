import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Tiny real TCP servers for transport tests: each one listens on a random
 * loopback address and free port and speaks whatever the test's handler writes.
 * Not a miner emulator; just enough wire to exercise framing and deadlines.
 */

export function randomLoopback(): string {
  const b = () => 1 + Math.floor(Math.random() * 250);
  return `127.${b()}.${b()}.${b()}`;
}

export interface TestServer {
  host: string;
  port: number;
  /** Requests received, as text. */
  requests: string[];
  /** Sockets currently open on the server side. */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startTestServer(onRequest: (request: string, socket: Socket) => void): Promise<TestServer> {
  const host = randomLoopback();
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      try {
        JSON.parse(buffer);
      } catch {
        return;
      }
      requests.push(buffer);
      onRequest(buffer, socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    requests,
    openSockets: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on `host` with nothing listening: bind, read the port, close. */
export async function closedPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
