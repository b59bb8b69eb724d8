import { AppError } from '../../../../shared/errors.js';
import type { V3Summary } from './parse-v3.js';

/**
 * Pure parsers for the Whatsminer API v2 (btminer, TCP 4028). Shapes:
 * ../shared/fixtures/miners/whatsminer/api-v2-20210322. Hashrates are MH/s on
 * the wire; btminer's own commands (`status`, `get_version`, `get_psu`) put a
 * single STATUS letter and a `Msg` object at the top level.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

function num(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v.trim()) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : null;
}

/** btminer quotes its firmware version: "'20210322.22.REL'". */
const unquote = (v: unknown) => (typeof v === 'string' ? v.replace(/^'+|'+$/g, '') : '');

/** API v2's summary carries what v3's does, plus the version, MAC and fault codes. */
export interface V2Summary extends V3Summary {
  firmwareVersion: string;
  mac: string | null;
  /** `Error Code N` values: btminer's hardware fault codes (e.g. 110 fan, 600 environment temperature). */
  errorCodes: number[];
}

function firstRow(reply: unknown, name: string, where: string): Obj {
  const rows = isObj(reply) ? reply[name] : undefined;
  const row = Array.isArray(rows) ? rows.find(isObj) : undefined;
  if (!row) throw new AppError('PARSE', `${where}: reply has no ${name}[0]`);
  return row;
}

export function parseV2Summary(reply: unknown): V2Summary {
  const s = firstRow(reply, 'SUMMARY', 'whatsminer summary');
  // `HS RT` is btminer's realtime hashrate (MH/s); `MHS 5s` is the noisier cgminer figure.
  const mhs = num(s['HS RT']) ?? num(s['MHS 5s']);
  if (mhs === null) throw new AppError('PARSE', 'whatsminer summary: no HS RT or MHS 5s hashrate');
  const factoryGhs = num(s['Factory GHS']);
  const temps = [num(s['Chip Temp Max']), num(s.Temperature)].filter((t): t is number => t !== null && t > 0);
  const errorCodes = Object.entries(s)
    .filter(([k]) => /^Error Code \d+$/.test(k))
    .sort(([a], [b]) => Number(a.slice(11)) - Number(b.slice(11)))
    .map(([, v]) => num(v))
    .filter((v): v is number => v !== null);
  return {
    powerW: num(s.Power) ?? num(s.Power_RT),
    hashrateThs: round6(mhs / 1e6),
    nominalThs: factoryGhs === null ? null : round6(factoryGhs / 1000),
    powerLimitW: num(s['Power Limit']),
    maxTempC: temps.length ? Math.max(...temps) : null,
    fanRpm: [num(s['Fan Speed In']), num(s['Fan Speed Out'])].filter((f): f is number => f !== null),
    uptimeS: num(s.Elapsed),
    firmwareVersion: unquote(s['Firmware Version']),
    mac: typeof s.MAC === 'string' ? s.MAC : null,
    errorCodes,
  };
}

/** `Msg` of a btminer-native reply, or PARSE/MINER_ERROR naming the command. */
export function v2Msg(reply: unknown, command: string): Obj {
  if (!isObj(reply)) throw new AppError('PARSE', `whatsminer ${command}: reply is not a JSON object`);
  const status = Array.isArray(reply.STATUS) ? (reply.STATUS[0] as Obj | undefined)?.STATUS : reply.STATUS;
  if (status !== 'S' && status !== 'I') {
    throw new AppError('MINER_ERROR', `whatsminer ${command}: ${String(status ?? '?')} ${JSON.stringify(reply.Msg ?? '')} (code ${String(reply.Code ?? '?')})`, {
      details: { code: reply.Code },
    });
  }
  if (!isObj(reply.Msg)) throw new AppError('PARSE', `whatsminer ${command}: Msg is not an object`);
  return reply.Msg;
}

/** `status`: `btmineroff` "true" once `power_off` has stopped mining. */
export function parseV2Status(reply: unknown): { mining: boolean; firmwareVersion: string } {
  const msg = v2Msg(reply, 'status');
  return { mining: String(msg.btmineroff) !== 'true', firmwareVersion: unquote(msg['Firmware Version']) };
}

export function parseV2Version(reply: unknown): { apiVersion: string; firmwareVersion: string } {
  const msg = v2Msg(reply, 'get_version');
  return { apiVersion: String(msg.api_ver ?? ''), firmwareVersion: unquote(msg.fw_ver) };
}

export function parseV2Psu(reply: unknown): { model: string; name: string; firmware: string } {
  const msg = v2Msg(reply, 'get_psu');
  return { model: String(msg.model ?? ''), name: String(msg.name ?? ''), firmware: String(msg.sw_version ?? '') };
}

export interface V2Board {
  slot: number;
  hashrateThs: number;
  maxChipTempC: number | null;
  boardTempC: number | null;
}

export function parseV2Devs(reply: unknown): V2Board[] {
  const rows = isObj(reply) && Array.isArray(reply.DEVS) ? reply.DEVS.filter(isObj) : null;
  if (!rows) throw new AppError('PARSE', 'whatsminer devs: reply has no DEVS array');
  return rows.map((d, i) => ({
    slot: num(d.Slot) ?? num(d.ASC) ?? i,
    hashrateThs: round6((num(d['MHS 5s']) ?? 0) / 1e6),
    maxChipTempC: num(d['Chip Temp Max']),
    boardTempC: num(d.Temperature),
  }));
}

/** `devdetails` → model name such as "M30S+V40" (btminer names it `Model`). */
export function parseV2Model(reply: unknown): string | null {
  const rows = isObj(reply) && Array.isArray(reply.DEVDETAILS) ? reply.DEVDETAILS.filter(isObj) : [];
  const model = rows.find((r) => typeof r.Model === 'string')?.Model;
  // Units append the hashboard revision ("M30S+V10", "M50VH60"); API v3 reports the
  // model without it, so the reading names the model alike whichever API answers.
  return typeof model === 'string' && model.trim() ? model.trim().replace(/(?<=\S)V[A-Z]?\d{2}$/, '') : null;
}

/** `get_token`: the challenge for the write API; "over max connect" etc. become MINER_ERROR. */
export function parseV2Token(reply: unknown): { time: string; salt: string; newsalt: string } {
  const msg = v2Msg(reply, 'get_token');
  const { time, salt, newsalt } = msg;
  if (typeof time !== 'string' || typeof salt !== 'string' || typeof newsalt !== 'string') {
    throw new AppError('PROTOCOL', 'whatsminer get_token: Msg lacks time/salt/newsalt strings');
  }
  return { time, salt, newsalt };
}
