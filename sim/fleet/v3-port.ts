import type { Socket } from 'node:net';
import type { EmulatedMiner, Personality } from '../emulated-miner.js';
import type { ConnectionContext } from './connection-context.js';

const MAX_FRAME_BYTES = 1024 * 1024;

function frame(body: Record<string, unknown>): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length, 0);
  return Buffer.concat([head, json]);
}

/**
 * Whatsminer API v3 on TCP 4433: each message is a 4-byte little-endian
 * length and that many bytes of JSON, both ways. Several requests may share a
 * connection; the client closes it.
 */
export function serveV3(socket: Socket, miner: EmulatedMiner, personality: Personality, ctx: ConnectionContext): void {
  ctx.track(socket);
  if (ctx.applySocketFault(socket, miner)) return;
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32LE(0);
      if (length > MAX_FRAME_BYTES) {
        socket.end(frame({ code: -1, msg: `frame of ${length} bytes is too large` }));
        pending = Buffer.alloc(0);
        return;
      }
      if (pending.length < 4 + length) return;
      const body = pending.subarray(4, 4 + length);
      pending = pending.subarray(4 + length);
      const reply = handle(body, miner, personality, ctx);
      ctx.answer(socket, miner, () => socket.write(frame(reply)));
    }
  });
  socket.on('end', () => ctx.answer(socket, miner, () => socket.end()));
}

function handle(body: Buffer, miner: EmulatedMiner, personality: Personality, ctx: ConnectionContext): Record<string, unknown> {
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return { code: -1, msg: 'invalid JSON' };
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { code: -1, msg: 'request must be a JSON object' };
  try {
    return (personality.v3 as NonNullable<Personality['v3']>)(miner, request as Record<string, unknown>);
  } catch (err) {
    ctx.log.warn({ err, minerId: miner.id }, 'personality failed on a v3 request');
    return { code: -1, msg: `internal error: ${(err as Error).message}` };
  }
}
