import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EmulatedMiner, Personality } from '../emulated-miner.js';
import type { ConnectionContext } from './connection-context.js';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Port 80 of every miner. One node:http server parses for all of them; it
 * never listens itself. Each miner's own listener applies the socket-level
 * faults and then hands the socket over, tagged with its miner.
 */
export class HttpPorts {
  private readonly owner = new WeakMap<Socket, { miner: EmulatedMiner; personality: Personality }>();
  private readonly server: Server;

  constructor(private readonly ctx: ConnectionContext) {
    this.server = createServer({ keepAliveTimeout: 5000 }, (req, res) => void this.onRequest(req, res));
  }

  accept(socket: Socket, miner: EmulatedMiner, personality: Personality): void {
    this.ctx.track(socket);
    if (this.ctx.applySocketFault(socket, miner)) return;
    this.owner.set(socket, { miner, personality });
    this.server.emit('connection', socket);
  }

  close(): void {
    this.server.closeAllConnections();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const owner = this.owner.get(req.socket);
    if (!owner) {
      res.writeHead(500).end();
      return;
    }
    const { miner, personality } = owner;
    try {
      const body = await readBody(req);
      const reply = await (personality.http as NonNullable<Personality['http']>)(miner, {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body,
      });
      this.ctx.answer(req.socket, miner, () => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
    } catch (err) {
      this.ctx.log.warn({ err, minerId: miner.id }, 'personality failed on an HTTP request');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(err as Error).message}`);
    }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
