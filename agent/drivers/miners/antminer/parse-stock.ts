import { AppError } from '../../../../shared/errors.js';

/**
 * Pure parsers for stock Bitmain firmware (bmminer/cgminer 4028 API and the
 * web CGI). Input is the parsed JSON of one reply; output is plain numbers.
 * Shapes: ../shared/fixtures/miners/antminer-stock/bmminer-49.0.1.3-s19pro.
 */

export interface StockReading {
  /** `stats` Type, e.g. "Antminer S19 Pro". */
  type: string;
  firmwareVersion: string;
  hashrateThs: number;
  /** Average since start (`GHS av`), steadier than the 5 s figure. */
  averageThs: number | null;
  maxTempC: number | null;
  fanRpm: number[];
  uptimeS: number | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v.trim()) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : null;
}

function section(reply: unknown, name: string, where: string): Obj[] {
  const value = isObj(reply) ? reply[name] : undefined;
  if (!Array.isArray(value)) throw new AppError('PARSE', `${where}: reply has no ${name} array`);
  return value.filter(isObj);
}

/** Hashrate in TH/s from whichever unit the firmware used (`GHS 5s`, `MHS 5s`, `rate_unit`). */
function ths(row: Obj, which: '5s' | 'av'): number | null {
  const ghs = num(row[`GHS ${which}`]);
  if (ghs !== null) return round6(ghs / 1000);
  const mhs = num(row[`MHS ${which}`]);
  if (mhs !== null) return round6(mhs / 1e6);
  return null;
}

/** Unit conversion noise (198.51239999999999) is not information. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Numbers out of "78-50-69-70" (temp_chipN, temp_pcbN) or a plain number. */
function temps(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'string') return v.split('-').map(Number).filter(Number.isFinite);
  return [];
}

const CHIP_TEMP_KEY = /^temp(_chip|2_)\d+$/;
const FAN_KEY = /^fan(\d+)$/;

export function parseStockStats(statsReply: unknown, summaryReply?: unknown): StockReading {
  const rows = section(statsReply, 'STATS', 'antminer stats');
  const info = rows.find((r) => typeof r.Type === 'string');
  const detail = rows.find((r) => 'GHS 5s' in r || 'MHS 5s' in r || 'fan_num' in r || 'Elapsed' in r) ?? {};
  const summary = summaryReply === undefined ? undefined : section(summaryReply, 'SUMMARY', 'antminer summary')[0];

  let maxTemp: number | null = null;
  const fans: Array<[number, number]> = [];
  for (const key in detail) {
    // ~50 keys per reply, every reading: only temp*/fan* keys reach a regex.
    if (key.startsWith('temp')) {
      // Chip temperatures: temp_chipN ("a-b-c-d" per sensor) and temp2_N; board/PCB
      // temps (temp_pcb, tempN) run cooler and are not the limit operators watch.
      if (CHIP_TEMP_KEY.test(key)) for (const t of temps(detail[key])) if (t > 0 && (maxTemp === null || t > maxTemp)) maxTemp = t;
    } else if (key.startsWith('fan')) {
      const fan = FAN_KEY.exec(key);
      const rpm = num(detail[key]);
      if (fan && rpm !== null) fans.push([Number(fan[1]), rpm]);
    }
  }
  const fanNum = num(detail.fan_num);
  fans.sort((a, b) => a[0] - b[0]);
  const fanRpm = fans.filter(([i, rpm]) => (fanNum !== null ? i <= fanNum : rpm > 0)).map(([, rpm]) => rpm);

  const hashrate = (summary && ths(summary, '5s')) ?? ths(detail, '5s');
  if (hashrate === null) throw new AppError('PARSE', 'antminer stats/summary: no GHS 5s or MHS 5s hashrate');
  return {
    type: typeof info?.Type === 'string' ? info.Type : 'Antminer',
    firmwareVersion: String(info?.Miner ?? detail.miner_version ?? info?.BMMiner ?? info?.CompileTime ?? ''),
    hashrateThs: hashrate,
    averageThs: (summary && ths(summary, 'av')) ?? ths(detail, 'av'),
    maxTempC: maxTemp,
    fanRpm,
    uptimeS: num(summary?.Elapsed) ?? num(detail.Elapsed),
  };
}

/**
 * `GET /cgi-bin/get_miner_conf.cgi`: the whole config object. The work mode is
 * `bitmain-work-mode` (0 normal, 1 sleep, 3 low power on S19 XP/S21 builds),
 * sent as a string by most firmware and as a number by some.
 */
export interface StockMinerConf {
  conf: Obj;
  workMode: number;
}

export function parseMinerConf(body: unknown): StockMinerConf {
  if (!isObj(body)) throw new AppError('PARSE', 'get_miner_conf.cgi: body is not a JSON object');
  const mode = num(body['bitmain-work-mode'] ?? body['miner-mode']);
  return { conf: body, workMode: mode ?? 0 };
}

/**
 * The body for `POST /cgi-bin/set_miner_conf.cgi`: the config read back (pools,
 * fan settings) with `miner-mode` replaced, in the same type (string or
 * number) the firmware used, because some builds reject the other.
 */
export function buildSetMinerConf(current: StockMinerConf, mode: number): Obj {
  const asString = typeof current.conf['bitmain-work-mode'] === 'string';
  const { ['bitmain-work-mode']: _drop, ...rest } = current.conf;
  return { ...rest, 'miner-mode': asString ? String(mode) : mode };
}

/** set_miner_conf.cgi answers `{"stats":"success","code":"M000","msg":"OK!"}` (or `"stats":"error"`). */
export function parseSetMinerConfReply(body: unknown): { ok: boolean; message: string } {
  if (!isObj(body)) return { ok: false, message: 'set_miner_conf.cgi: reply is not JSON' };
  const stats = String(body.stats ?? body.status ?? '');
  return { ok: stats === 'success', message: String(body.msg ?? stats) };
}
