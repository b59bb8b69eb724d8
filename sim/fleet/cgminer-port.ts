import type { Socket } from 'node:net';
import type { EmulatedMiner, Personality } from '../emulated-miner.js';
import type { ConnectionContext } from './connection-context.js';

const MAX_REQUEST_BYTES = 64 * 1024;

/** A cgminer-style error reply, as cgminer itself gives for bad input (API-README: code 23 "Invalid JSON"). */
export function cgminerError(code: number, msg: string): string {
  return JSON.stringify({
    STATUS: [{ STATUS: 'E', When: Math.floor(Date.now() / 1000), Code: code, Msg: msg, Description: 'hashwatt-sim' }],
    id: 1,
  });
}

/**
 * TCP 4028: one request per connection. The request ends at a NUL, at the
 * client's FIN, or as soon as the bytes so far parse as a complete JSON
 * object (most clients send neither NUL nor FIN). Reply + NUL, then close.
 */
export function serveCgminer(socket: Socket, miner: EmulatedMiner, personality: Personality, ctx: ConnectionContext): void {
  ctx.track(socket);
  if (ctx.applySocketFault(socket, miner)) return;
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;

  const finish = (raw: Buffer | null): void => {
    if (done) return;
    done = true;
    socket.removeAllListeners('data');
    socket.on('data', () => {});
    const reply = raw === null ? cgminerError(23, 'Request too large') : handle(raw, miner, personality, ctx);
    ctx.answer(socket, miner, () => socket.end(`${reply}\0`));
  };

  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) return finish(null);
    const nul = chunk.indexOf(0);
    if (nul >= 0) {
      const all = Buffer.concat(chunks);
      return finish(all.subarray(0, all.indexOf(0)));
    }
    if (endsWithBrace(chunk)) {
      const all = Buffer.concat(chunks);
      if (isCompleteJson(all)) finish(all);
    }
  });
  socket.on('end', () => finish(Buffer.concat(chunks)));
}

function handle(raw: Buffer, miner: EmulatedMiner, personality: Personality, ctx: ConnectionContext): string {
  let request: unknown;
  try {
    request = JSON.parse(raw.toString('utf8'));
  } catch {
    return cgminerError(23, 'Invalid JSON');
  }
  // Whatsminer btminer sends its encrypted writes as {"enc":1,"data":"…"} and
  // some builds use "cmd" instead of "command": the personality decides those.
  const r = request as { command?: unknown; cmd?: unknown; enc?: unknown };
  if (typeof request !== 'object' || request === null || Array.isArray(request) || (typeof r.command !== 'string' && typeof r.cmd !== 'string' && r.enc === undefined)) {
    return cgminerError(23, 'Invalid JSON: expected {"command":"..."}');
  }
  try {
    return (personality.cgminer as NonNullable<Personality['cgminer']>)(miner, request as Record<string, unknown>);
  } catch (err) {
    ctx.log.warn({ err, minerId: miner.id }, 'personality failed on a cgminer request');
    return cgminerError(45, `Internal error: ${(err as Error).message}`);
  }
}

function endsWithBrace(chunk: Buffer): boolean {
  for (let i = chunk.length - 1; i >= 0; i--) {
    const c = chunk[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7d; // '}'
  }
  return false;
}

function isCompleteJson(buf: Buffer): boolean {
  try {
    JSON.parse(buf.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
