import { connect, type Socket } from 'node:net';
import { AppError } from '../../../../shared/errors.js';
import { parseLenientJson } from '../transport/lenient-json.js';

/**
 * Whatsminer API v3 framing (v3.0.1 docs, TCP 4433): each message is a 4-byte
 * little-endian length followed by that many bytes of JSON, one request and
 * one reply per connection. One deadline covers connect + write + read.
 */

export const WHATSMINER_V3_PORT = 4433;
/** Replies are a few KB; a length above this is a wrong port or garbage, not a reply. */
export const MAX_V3_FRAME_BYTES = 1024 * 1024;

export function encodeV3Frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** The body of the first complete frame in `buffer`, or undefined while more bytes are needed. */
export function decodeV3Frame(buffer: Buffer, where = 'whatsminer v3'): { body: Buffer; rest: Buffer } | undefined {
  if (buffer.length < 4) return undefined;
  const length = buffer.readUInt32LE(0);
  if (length > MAX_V3_FRAME_BYTES) {
    throw new AppError('PROTOCOL', `${where}: frame length ${length} exceeds ${MAX_V3_FRAME_BYTES} bytes (not an API v3 reply?)`);
  }
  if (buffer.length < 4 + length) return undefined;
  return { body: buffer.subarray(4, 4 + length), rest: buffer.subarray(4 + length) };
}

export interface V3Target {
  host: string;
  port?: number;
  timeoutMs: number;
}

export function v3Request(target: V3Target, request: Record<string, unknown>): Promise<unknown> {
  const port = target.port ?? WHATSMINER_V3_PORT;
  const where = `${target.host}:${port}`;
  const cmd = String(request.cmd ?? '?');
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    let settled = false;
    let socket: Socket | undefined;
    const finish = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new AppError('TIMEOUT', `${where}: no v3 reply to '${cmd}' within ${target.timeoutMs} ms`)), target.timeoutMs);
    socket = connect({ host: target.host, port });
    socket.once('connect', () => socket!.write(encodeV3Frame(request)));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        const frame = decodeV3Frame(buffer, where);
        if (frame) finish(undefined, parseLenientJson(frame.body.toString('utf8'), `${where} v3 reply to '${cmd}'`));
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.once('end', () => finish(new AppError('PROTOCOL', `${where}: closed after ${buffer.length} bytes without a complete v3 reply to '${cmd}'`)));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(err.code ?? '') ? 'UNREACHABLE' : 'PROTOCOL';
      finish(new AppError(code, `${where}: ${err.message}`, { cause: err, details: { errno: err.code } }));
    });
  });
}
