import { AppError } from '../../../../shared/errors.js';
import { cgminerRaw, type CgminerTarget } from '../transport/cgminer-client.js';
import { parseLenientJson } from '../transport/lenient-json.js';
import { parseV2Token } from './parse-v2.js';
import { decryptV2, deriveV2Session, sealV2Command } from './v2-crypto.js';

/** btminer codes meaning "your credentials are wrong" (API v2.0.x: 45 permission denied, 135 check token error, 136 token over max times). */
const AUTH_CODES = new Set([45, 135, 136]);

async function rawJson(target: CgminerTarget, request: Record<string, unknown>, what: string): Promise<Record<string, unknown>> {
  const value = parseLenientJson(await cgminerRaw(target, request), `${target.host} reply to '${what}'`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppError('PARSE', `${target.host}: reply to '${what}' is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * A btminer-native read command (`status`, `get_version`, `get_psu`,
 * `get_token`). btminer takes `command` as well as its own `cmd` for these
 * (pyasic sends `command`), and the cgminer-style key works on every build.
 */
export function v2Read(target: CgminerTarget, command: string): Promise<Record<string, unknown>> {
  return rawJson(target, { command }, command);
}

/**
 * One write command: `get_token`, derive the session from the admin password,
 * send `{"enc":1,"data":…}`, decrypt `{"enc":"…"}`. A fresh token per write
 * because each connection is one request and the token expires (30 min).
 */
export async function v2Write(target: CgminerTarget, password: string, command: Record<string, unknown> & { cmd: string }): Promise<Record<string, unknown>> {
  const session = deriveV2Session(password, parseV2Token(await v2Read(target, 'get_token')));
  const reply = await rawJson(target, JSON.parse(sealV2Command(session, command)) as Record<string, unknown>, command.cmd);
  let plain: Record<string, unknown> = reply;
  if (typeof reply.enc === 'string') {
    try {
      plain = JSON.parse(decryptV2(session.key, reply.enc)) as Record<string, unknown>;
    } catch (err) {
      throw new AppError('AUTH_FAILED', `${target.host}: reply to '${command.cmd}' does not decrypt with our key (wrong password?)`, { cause: err });
    }
  }
  // btminer-native replies carry STATUS/Code/Msg at the top; cgminer-style ones inside STATUS[0].
  const head = Array.isArray(plain.STATUS) ? ((plain.STATUS[0] ?? {}) as Record<string, unknown>) : plain;
  const status = head.STATUS;
  if (status === 'S' || status === 'I') return plain;
  const code = Number(head.Code);
  const msg = `${target.host}: '${command.cmd}' refused: ${String(head.Msg ?? status)} (code ${Number.isFinite(code) ? code : '?'})`;
  throw new AppError(AUTH_CODES.has(code) ? 'AUTH_FAILED' : 'MINER_ERROR', msg, { details: { code } });
}
