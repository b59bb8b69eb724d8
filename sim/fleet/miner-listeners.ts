import { createServer, type Server, type Socket } from 'node:net';
import { AppError } from '../../shared/errors.js';
import type { EmulatedMiner, Personality } from '../emulated-miner.js';
import type { ConnectionContext } from './connection-context.js';
import { serveCgminer } from './cgminer-port.js';
import { serveV3 } from './v3-port.js';
import type { HttpPorts } from './http-port.js';

export type PortKind = 'cgminer' | 'v3' | 'http';
export const PORT_KINDS: readonly PortKind[] = ['cgminer', 'v3', 'http'];

/** The ports a personality answers on: a firmware without a v3 API has no 4433. */
export function portKindsOf(personality: Personality): PortKind[] {
  return PORT_KINDS.filter((kind) => typeof personality[kind] === 'function');
}

/**
 * The listening sockets of one miner, one per port its firmware serves. A
 * `refuse` fault closes them (a real connection refused); clearing it
 * listens again on the same port.
 */
export class MinerListeners {
  readonly ports: Partial<Record<PortKind, number>> = {};
  private readonly servers: Partial<Record<PortKind, Server>> = {};

  constructor(
    readonly miner: EmulatedMiner,
    private readonly personality: Personality,
    private readonly ctx: ConnectionContext,
    private readonly http: HttpPorts,
    /** Wanted port per kind; 0 lets the OS choose (then kept for re-listening). */
    wanted: Partial<Record<PortKind, number>>,
  ) {
    for (const kind of portKindsOf(personality)) this.ports[kind] = wanted[kind] ?? 0;
  }

  get listening(): boolean {
    return Object.keys(this.servers).length > 0;
  }

  async open(): Promise<void> {
    await Promise.all((Object.keys(this.ports) as PortKind[]).map((kind) => this.listen(kind)));
  }

  async close(): Promise<void> {
    await Promise.all((Object.keys(this.servers) as PortKind[]).map((kind) => this.unlisten(kind)));
  }

  private handler(kind: PortKind): (socket: Socket) => void {
    const { miner, personality, ctx } = this;
    switch (kind) {
      case 'cgminer':
        return (socket) => serveCgminer(socket, miner, personality, ctx);
      case 'v3':
        return (socket) => serveV3(socket, miner, personality, ctx);
      case 'http':
        return (socket) => this.http.accept(socket, miner, personality);
    }
  }

  private listen(kind: PortKind): Promise<void> {
    if (this.servers[kind]) return Promise.resolve();
    // allowHalfOpen: a client may send its request and FIN before our (possibly slow) reply.
    const server = createServer({ allowHalfOpen: kind !== 'http', noDelay: true }, this.handler(kind));
    const port = this.ports[kind] ?? 0;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const hint =
          err.code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE; use --port-base instead)'
          : err.code === 'EADDRNOTAVAIL' ? ' (the address is not local; use a 127.x range)'
          : err.code === 'EMFILE' ? ' (out of file descriptors; raise ulimit -n)'
          : '';
        reject(new AppError('UNREACHABLE', `cannot listen on ${this.miner.host}:${port} for ${this.miner.id} (${kind}): ${err.code ?? err.message}${hint}`, { cause: err }));
      });
      server.listen({ host: this.miner.host, port, backlog: 511 }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.ctx.log.warn({ err, minerId: this.miner.id }, 'listener error'));
        this.ports[kind] = (server.address() as { port: number }).port;
        this.servers[kind] = server;
        resolve();
      });
    });
  }

  private unlisten(kind: PortKind): Promise<void> {
    const server = this.servers[kind];
    if (!server) return Promise.resolve();
    delete this.servers[kind];
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
