import { connect, type Socket } from 'node:net';
import { AppError } from '../../../../shared/errors.js';
import { parseLenientJson } from './lenient-json.js';

/**
 * The cgminer-family JSON API (TCP 4028), spoken by LuxOS, BOSminer, bmminer
 * and btminer: one request per connection, the reply ends with NUL and/or the
 * miner closing the socket (some firmwares keep it open, some end with `\n`).
 * One deadline covers connect + write + read, and the socket is always
 * destroyed, so a hung miner costs exactly its own deadline.
 */

export const CGMINER_PORT = 4028;
/** No legitimate reply comes near this; a miner streaming forever is cut off. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export interface CgminerTarget {
  host: string;
  port?: number;
  /** Deadline for the whole request (connect + write + read). */
  timeoutMs: number;
}

export interface CgminerStatus {
  STATUS: string;
  Msg?: string;
  Code?: number;
  Description?: string;
  When?: number;
}

/** One parsed reply: `STATUS` plus the command's sections (`SUMMARY`, `POWER`, …). */
export type CgminerResponse = Record<string, unknown> & { STATUS?: CgminerStatus[] };

export interface CgminerRequest {
  command: string;
  parameter?: string;
}

/**
 * Sends one request and returns the raw reply text (terminator stripped).
 * Rejects with AppError TIMEOUT (deadline passed), UNREACHABLE (refused, no
 * route, reset before any reply) or PROTOCOL (closed without a reply, too big).
 */
export function cgminerRaw(target: CgminerTarget, request: CgminerRequest | Record<string, unknown>): Promise<string> {
  const port = target.port ?? CGMINER_PORT;
  const where = `${target.host}:${port}`;
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let socket: Socket | undefined;
    const finish = (err: Error | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    const timer = setTimeout(() => {
      finish(new AppError('TIMEOUT', `${where}: no complete reply to '${String(request.command)}' within ${target.timeoutMs} ms`, { details: { host: target.host, port } }));
    }, target.timeoutMs);
    const replyText = () => Buffer.concat(chunks, size).toString('utf8');

    socket = connect({ host: target.host, port });
    socket.setNoDelay(true);
    socket.once('connect', () => socket!.write(JSON.stringify(request)));
    socket.on('data', (chunk: Buffer) => {
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        chunks.push(chunk.subarray(0, nul));
        size += nul;
        finish(undefined, replyText());
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) {
        finish(new AppError('PROTOCOL', `${where}: reply to '${String(request.command)}' exceeds ${MAX_REPLY_BYTES} bytes`));
        return;
      }
      // Newline-terminated firmwares keep the socket open; accept once the text is complete JSON.
      if (chunk[chunk.length - 1] === 0x0a) {
        const text = replyText();
        try {
          parseLenientJson(text);
          finish(undefined, text);
        } catch {
          // a newline inside a pretty-printed reply; keep reading
        }
      }
    });
    socket.once('end', () => {
      if (size === 0) finish(new AppError('PROTOCOL', `${where}: closed the connection without replying to '${String(request.command)}'`));
      else finish(undefined, replyText());
    });
    socket.once('close', () => {
      if (size === 0) finish(new AppError('UNREACHABLE', `${where}: connection closed before a reply to '${String(request.command)}'`));
      else finish(undefined, replyText());
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (size > 0 && err.code === 'ECONNRESET') {
        finish(undefined, replyText());
        return;
      }
      finish(new AppError('UNREACHABLE', `${where}: ${describeSocketError(err)}`, { cause: err, details: { host: target.host, port, errno: err.code } }));
    });
  });
}

function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens on the API port, or the API is disabled)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
      return 'connection reset by the miner';
    default:
      return err.message;
  }
}

/** `STATUS[0]` of a reply, or undefined when the reply has none. */
export function cgminerStatus(response: CgminerResponse): CgminerStatus | undefined {
  const status = response.STATUS;
  if (Array.isArray(status) && status.length > 0 && typeof status[0] === 'object' && status[0] !== null) return status[0];
  // BOSminer and some btminer builds send STATUS as a single object or a bare letter.
  if (typeof status === 'object' && status !== null && !Array.isArray(status)) return status as CgminerStatus;
  if (typeof status === 'string') return { STATUS: status, Msg: typeof response.Msg === 'string' ? response.Msg : undefined };
  return undefined;
}

/** Only S (success) and I (info) are success (cgminer API-README); W, E and F become MINER_ERROR with the miner's own words. */
export function assertCgminerSuccess(response: CgminerResponse, command: string, where: string): CgminerResponse {
  const status = cgminerStatus(response);
  if (!status) throw new AppError('PROTOCOL', `${where}: reply to '${command}' has no STATUS section`);
  const letter = String(status.STATUS).toUpperCase();
  if (letter === 'S' || letter === 'I') return response;
  throw new AppError('MINER_ERROR', `${where}: '${command}' failed (${letter}): ${status.Msg ?? 'no message'}`, {
    details: { status: letter, msg: status.Msg, code: status.Code, command },
  });
}

function parseReply(text: string, command: string, where: string): CgminerResponse {
  const value = parseLenientJson(text, `${where} reply to '${command}'`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('PARSE', `${where}: reply to '${command}' is not a JSON object`);
  }
  return value as CgminerResponse;
}

/** One command, parsed and status-checked. */
export async function cgminerCommand(target: CgminerTarget, command: string, parameter?: string): Promise<CgminerResponse> {
  const where = `${target.host}:${target.port ?? CGMINER_PORT}`;
  const request: CgminerRequest = parameter === undefined ? { command } : { command, parameter };
  const text = await cgminerRaw(target, request);
  return assertCgminerSuccess(parseReply(text, command, where), command, where);
}

/** Remembers, per miner, whether it refused a joined command, so the refusal costs one round trip once. */
export interface JoinMemory {
  joinRefused?: boolean;
}

/**
 * Several read commands at once (`summary+stats` → `{"summary":[{…}],"stats":[{…}]}`),
 * falling back to one request per command when the firmware refuses joining
 * (stock Antminer S19 answers the joined command with an error or a bare
 * single reply). Each section is status-checked; a failing section throws.
 */
export async function cgminerJoined(target: CgminerTarget, commands: readonly string[], memory: JoinMemory = {}): Promise<Record<string, CgminerResponse>> {
  if (commands.length === 1 || memory.joinRefused) return separately(target, commands);
  const where = `${target.host}:${target.port ?? CGMINER_PORT}`;
  const joined = commands.join('+');
  const text = await cgminerRaw(target, { command: joined });
  const reply = parseReply(text, joined, where);
  const out: Record<string, CgminerResponse> = {};
  for (const command of commands) {
    const section = reply[command];
    const first = Array.isArray(section) ? section[0] : undefined;
    if (typeof first !== 'object' || first === null) {
      memory.joinRefused = true;
      return separately(target, commands);
    }
    out[command] = assertCgminerSuccess(first as CgminerResponse, command, where);
  }
  return out;
}

async function separately(target: CgminerTarget, commands: readonly string[]): Promise<Record<string, CgminerResponse>> {
  // Sequential: cgminer's API serves one connection at a time, and weak control boards choke on bursts.
  const out: Record<string, CgminerResponse> = {};
  for (const command of commands) out[command] = await cgminerCommand(target, command);
  return out;
}
