import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import type { Logger } from '../../shared/log/logger.js';

export interface EmbeddedBrokerOptions {
  host?: string;
  /** 0 picks a free port (tests, and the demo when 1883 is taken). */
  port?: number;
  log: Logger;
}

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The zero-setup broker: aedes on a plain TCP listener. Production uses
 * Mosquitto; aedes speaks MQTT 3.1.1 only, which is why the shared MQTT
 * connector falls back from protocol 5 to 4 (see docs/protocol.md).
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = options.log.child({ component: 'embedded-broker' });
  const aedes = await Aedes.createBroker();
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.listen(options.port ?? 1883, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('embedded broker has no TCP address');
  const host = options.host ?? '127.0.0.1';
  log.info({ host, port: address.port }, 'embedded broker listening');
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'broker client error'));
  return {
    url: `mqtt://${host}:${address.port}`,
    port: address.port,
    async stop() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
