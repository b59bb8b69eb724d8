import { AppError } from '../../../../shared/errors.js';

/**
 * Pure parsers for Whatsminer API v3 (v3.0.x, TCP 4433). Every reply is
 * `{"code":0,"when":…,"msg":…,"desc":"<cmd>"}`; code ≠ 0 is a refusal with
 * `msg` as the reason. Hashrates are TH/s, power W.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v.trim()) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : null;
}

/** API v3 error codes (v3.0.1 docs): -1 failed, -2 bad command/param, -3 bad token, -4 permission denied. */
export const V3_AUTH_CODES = new Set([-3, -4]);

export function v3Msg(reply: unknown, cmd: string): unknown {
  if (!isObj(reply)) throw new AppError('PARSE', `whatsminer v3 ${cmd}: reply is not a JSON object`);
  const code = num(reply.code);
  if (code === null) throw new AppError('PARSE', `whatsminer v3 ${cmd}: reply has no numeric code`);
  if (code !== 0) {
    const reason = typeof reply.msg === 'string' ? reply.msg : JSON.stringify(reply.msg);
    throw new AppError(V3_AUTH_CODES.has(code) ? 'AUTH_FAILED' : 'MINER_ERROR', `whatsminer v3 ${cmd}: code ${code}: ${reason}`, { details: { code } });
  }
  return reply.msg;
}

export interface V3Summary {
  powerW: number | null;
  hashrateThs: number;
  nominalThs: number | null;
  powerLimitW: number | null;
  maxTempC: number | null;
  fanRpm: number[];
  uptimeS: number | null;
}

export function parseV3Summary(reply: unknown): V3Summary {
  const msg = v3Msg(reply, 'get.miner.status summary');
  const s = isObj(msg) && isObj(msg.summary) ? msg.summary : null;
  if (!s) throw new AppError('PARSE', 'whatsminer v3 get.miner.status: msg has no summary object');
  const hashrate = num(s['hash-realtime']);
  if (hashrate === null) throw new AppError('PARSE', 'whatsminer v3 summary: no hash-realtime');
  const boardTemps = Array.isArray(s['board-temperature']) ? s['board-temperature'].map(num) : [];
  const temps = [num(s['chip-temp-max']), ...boardTemps].filter((t): t is number => t !== null && t > 0);
  return {
    powerW: num(s['power-realtime']),
    hashrateThs: hashrate,
    nominalThs: num(s['factory-hash']),
    powerLimitW: num(s['power-limit']),
    maxTempC: temps.length ? Math.max(...temps) : null,
    fanRpm: [num(s['fan-speed-in']), num(s['fan-speed-out'])].filter((f): f is number => f !== null),
    uptimeS: num(s.elapsed),
  };
}

export interface V3DeviceInfo {
  model: string;
  /** `miner.working` "false" after `set.miner.service stop`. */
  working: boolean | null;
  firmwareVersion: string;
  apiVersion: string;
  salt: string | null;
  powerLimitSetW: number | null;
}

export function parseV3DeviceInfo(reply: unknown): V3DeviceInfo {
  const msg = v3Msg(reply, 'get.device.info');
  if (!isObj(msg)) throw new AppError('PARSE', 'whatsminer v3 get.device.info: msg is not an object');
  const miner = isObj(msg.miner) ? msg.miner : {};
  const system = isObj(msg.system) ? msg.system : {};
  const working = miner.working === undefined ? null : String(miner.working) === 'true';
  return {
    model: typeof miner.type === 'string' ? miner.type : '',
    working,
    firmwareVersion: String(system.fwversion ?? ''),
    apiVersion: String(system.api ?? ''),
    salt: typeof msg.salt === 'string' ? msg.salt : null,
    powerLimitSetW: num(miner['power-limit-set']),
  };
}
