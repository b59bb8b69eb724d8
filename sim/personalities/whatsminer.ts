import { randomBytes } from 'node:crypto';
import type { EmulatedMiner, MinerSnapshot, Personality } from '../emulated-miner.js';
import { decryptV2, deriveV2Session, encryptV2 } from '../../agent/drivers/miners/whatsminer/v2-crypto.js';
import { v3Token } from '../../agent/drivers/miners/whatsminer/v3-auth.js';
import { defaultPools, poolRows } from './cgminer-pools.js';

/**
 * MicroBT btminer: API v2 on 4028 (shapes of
 * ../shared/fixtures/miners/whatsminer/api-v2-20210322; writes through
 * get_token + AES-256-ECB, API V2.0.x) and API v3 on 4433 (v3.0.1: salted
 * tokens, account "super"). Credentials are the miner's own login; the v2
 * admin password and the v3 super password are the same here.
 * `whatsminerV2Personality` is an older build without API v3.
 */

const B64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const salt8 = () => Array.from(randomBytes(8), (b) => B64[b % 64]).join('');
/** API v2.0.5: "one IP can get 32 tokens"; older ones stop working. */
const MAX_TOKENS = 32;

interface WhatsminerMemory {
  v2Salt: string;
  v3Salt: string;
  /** Signs handed out by get_token and still valid. */
  signs: string[];
}

function memory(miner: EmulatedMiner): WhatsminerMemory {
  let m = miner.memory.get('whatsminer') as WhatsminerMemory | undefined;
  if (!m) {
    m = { v2Salt: salt8(), v3Salt: salt8(), signs: [] };
    miner.memory.set('whatsminer', m);
  }
  return m;
}

const when = () => Math.floor(Date.now() / 1000);
const off = (s: MinerSnapshot) => s.phase === 'pausing' || s.phase === 'sleeping';
const powerLimit = (miner: EmulatedMiner, s: MinerSnapshot) => Math.round(s.powerTargetW ?? miner.spec.nominalW);
/** One firmware build, reported alike by both APIs (v2 quotes it, as btminer does). */
const FW_VERSION = '20240628.15.REL';
const fw = `'${FW_VERSION}'`;

/** btminer-native replies: a single STATUS letter and Msg at the top level. */
const native = (code: number, msg: unknown, letter = 'S') => ({ STATUS: letter, When: when(), Code: code, Msg: msg, Description: '' });
const cg = (code: number, msg: string, extra: Record<string, unknown>) =>
  JSON.stringify({ STATUS: [{ STATUS: 'S', When: when(), Code: code, Msg: msg, Description: 'cgminer 4.9.2' }], ...extra, id: 1 });

/** Error codes a unit reports (btminer lists them as "Error Code N" keys); every third miner carries a fan warning, as fleets do. */
export function errorCodes(miner: EmulatedMiner): number[] {
  return miner.index % 3 === 0 ? [110, 600] : [];
}

function summaryRow(miner: EmulatedMiner, s: MinerSnapshot): Record<string, unknown> {
  const mhs = Math.round(s.hashrateThs * 1e6 * 100) / 100;
  const chipMax = s.boardTempsC.length ? Math.max(...s.boardTempsC) : 0;
  const accepted = s.hashrateThs > 0 ? Math.floor(s.uptimeS / 4) : 0;
  const codes = errorCodes(miner);
  const row: Record<string, unknown> = {
    Accepted: accepted, 'Best Share': accepted * 640, 'CB Platform': 'ALLWINNER_H3', 'CB Version': 'V8', 'Chip Data': `HP${miner.serial.slice(-6)}   BIN${miner.serial.slice(0, 6)}`,
    'Chip Temp Avg': Math.round((chipMax - 8) * 100) / 100, 'Chip Temp Max': chipMax, 'Chip Temp Min': Math.round(chipMax - 20),
    'Device Hardware%': 0, 'Device Rejected%': 0, 'Difficulty Accepted': accepted * 65536, 'Difficulty Rejected': 0, 'Difficulty Stale': 0,
    Discarded: accepted * 260, Elapsed: s.uptimeS, 'Error Code Count': codes.length,
  };
  codes.forEach((code, i) => (row[`Error Code ${i}`] = code));
  Object.assign(row, {
    'Factory Error Code Count': 0, 'Factory GHS': Math.round(miner.spec.nominalThs * 1000),
    'Fan Speed In': Math.round(s.fanRpm[0] ?? 0), 'Fan Speed Out': Math.round(s.fanRpm[1] ?? s.fanRpm[0] ?? 0),
    'Firmware Version': fw, 'Found Blocks': 0, 'Get Failures': 0, Getworks: Math.floor(s.uptimeS / 10), 'HS RT': mhs, 'Hardware Errors': 0,
    'Hash Deviation%': 0.1, 'Hash Stable': s.phase === 'hashing', 'Hash Stable Cost Seconds': Math.min(s.uptimeS, 1200), 'Last getwork': 0, 'Liquid Cooling': false,
    'Local Work': accepted * 34000, MAC: miner.mac, 'MHS 15m': mhs, 'MHS 1m': mhs, 'MHS 5m': mhs, 'MHS 5s': mhs, 'MHS av': mhs,
    'Network Blocks': Math.floor(s.uptimeS / 600), 'Pool Rejected%': 0, 'Pool Stale%': 0, Power: Math.round(s.powerW),
    'Power Current': Math.round(s.powerW / 13), 'Power Fanspeed': s.powerW > 500 ? 9060 : 0, 'Power Limit': powerLimit(miner, s), 'Power Mode': 'Normal',
    Power_RT: Math.round(s.powerW), Rejected: 0, 'Remote Failures': 0, 'Security Mode': 0, Stale: 0, 'Target Freq': 625,
    'Target MHS': Math.round(miner.spec.nominalThs * 1e6 * 0.95), Temperature: Math.round(chipMax - 15), 'Total MH': Math.round(mhs * s.uptimeS),
    Uptime: s.uptimeS + 600, Utility: Math.round((accepted / Math.max(1, s.uptimeS)) * 6000) / 100, Voltage: 1180, 'Work Utility': Math.round(s.hashrateThs * 3600) / 100,
    freq_avg: s.hashrateThs > 0 ? 648 : 0,
  });
  return row;
}

function devRow(miner: EmulatedMiner, s: MinerSnapshot, t: number, i: number): Record<string, unknown> {
  const mhs = Math.round(((s.hashrateThs * 1e6) / s.boardTempsC.length) * 100) / 100;
  const accepted = s.hashrateThs > 0 ? Math.floor(s.uptimeS / 12) : 0;
  const now = Math.floor(s.now / 1000);
  return {
    ASC: i, Accepted: accepted, 'Chip Frequency': s.hashrateThs > 0 ? 650 : 0, 'Chip Temp Avg': Math.round((t - 7) * 100) / 100, 'Chip Temp Max': t,
    'Chip Temp Min': Math.round(t - 19), 'Device Elapsed': s.uptimeS, 'Device Hardware%': 0, 'Device Rejected%': 0, 'Diff1 Work': accepted * 263,
    'Difficulty Accepted': accepted * 65536, 'Difficulty Rejected': 0, 'Effective Chips': 105, Enabled: 'Y',
    'Fan Speed In': Math.round(s.fanRpm[0] ?? 0), 'Fan Speed Out': Math.round(s.fanRpm[1] ?? s.fanRpm[0] ?? 0), 'Hardware Errors': 0, ID: i,
    'Last Share Difficulty': 65536, 'Last Share Pool': 0, 'Last Share Time': now - 10, 'Last Valid Work': now, 'MHS 15m': mhs, 'MHS 1m': mhs,
    'MHS 5m': mhs, 'MHS 5s': mhs, 'MHS av': mhs, Name: 'SM', 'PCB SN': `${miner.serial}B${i}`, Rejected: 0, Slot: i, Status: 'Alive',
    Temperature: Math.round(t - 15), 'Total MH': Math.round(mhs * s.uptimeS), 'Upfreq Complete': s.phase === 'hashing' ? 1 : 0, Utility: 4.7,
  };
}

/** The hashboard revision real units append to the model in `devdetails` ("M30S+V10"). */
const BOARD_REVISION: Readonly<Record<string, string>> = { 'M30S+': 'V10', 'M30S++': 'V30', M50: 'VH60', M60: 'VK10' };

/** Whatsminer model names ("M30S+") without the vendor prefix the emulator spec carries. */
const modelName = (miner: EmulatedMiner) => miner.spec.model.replace(/^whatsminer\s+/i, '');

function v2Write(miner: EmulatedMiner, request: Record<string, unknown>): string {
  const m = memory(miner);
  const { key } = deriveV2Session(miner.credentials.password, { salt: m.v2Salt, time: '0000', newsalt: m.v2Salt });
  let command: Record<string, unknown>;
  try {
    command = JSON.parse(decryptV2(key, String(request.data ?? ''))) as Record<string, unknown>;
  } catch {
    // A client with the wrong password derives another key: what we decrypt is noise.
    return JSON.stringify(native(135, 'check token err', 'E'));
  }
  if (typeof command.token !== 'string' || !m.signs.includes(command.token)) return JSON.stringify(native(135, 'check token err', 'E'));
  let reply: Record<string, unknown>;
  switch (command.cmd) {
    case 'power_off':
      miner.requestSleep();
      reply = native(131, 'API command OK');
      break;
    case 'power_on':
      miner.requestWake();
      reply = native(131, 'API command OK');
      break;
    case 'adjust_power_limit': {
      const watts = Number(command.power_limit);
      if (!Number.isFinite(watts) || watts < 100 || watts > miner.spec.nominalW * 1.2) {
        reply = native(132, `invalid power_limit ${String(command.power_limit)}`, 'E');
      } else {
        miner.setPowerTarget(Math.round(watts));
        reply = native(131, 'API command OK');
      }
      break;
    }
    default:
      reply = native(14, 'invalid cmd', 'E');
  }
  return JSON.stringify({ enc: encryptV2(key, JSON.stringify(reply)) });
}

/** btminer's cgminer core answers joined commands (`summary+devs`) like cgminer: one section per command. */
function cgminer(miner: EmulatedMiner, request: Record<string, unknown>): string {
  if (request.enc !== undefined) return v2Write(miner, request);
  const command = String(request.cmd ?? request.command ?? '');
  if (command.includes('+')) {
    const joined: Record<string, unknown> = {};
    for (const part of command.split('+')) joined[part] = [JSON.parse(one(miner, part)) as unknown];
    return JSON.stringify({ ...joined, id: 1 });
  }
  return one(miner, command);
}

function one(miner: EmulatedMiner, command: string): string {
  const s = miner.snapshot();
  const m = memory(miner);
  switch (command) {
    case 'summary':
      return cg(11, 'Summary', { SUMMARY: [summaryRow(miner, s)] });
    case 'devs':
      return cg(9, `${s.boardTempsC.length} ASC(s)`, { DEVS: s.boardTempsC.map((t, i) => devRow(miner, s, t, i)) });
    case 'pools': {
      const pools = defaultPools(miner);
      return cg(7, `${pools.length} Pool(s)`, { POOLS: poolRows('btminer', miner, s, pools) });
    }
    case 'devdetails':
      return cg(69, 'Device Details', {
        DEVDETAILS: s.boardTempsC.map((_, i) => ({ DEVDETAILS: i, Name: 'SM', ID: i, Driver: 'bitmicro', Kernel: '', Model: `${modelName(miner)}${BOARD_REVISION[modelName(miner)] ?? 'V10'}` })),
      });
    case 'status':
      return JSON.stringify(native(131, { btmineroff: String(off(s)), 'Firmware Version': fw }));
    case 'get_version':
      return JSON.stringify(native(131, { api_ver: 'whatsminer v1.4.0', fw_ver: FW_VERSION }));
    case 'get_psu':
      return JSON.stringify(native(131, { name: 'P21', model: 'P21-12-3600-E', hw_version: '', sw_version: '102220.009' }));
    case 'get_token': {
      const time = String(when() % 10000).padStart(4, '0');
      const newsalt = salt8();
      const { sign } = deriveV2Session(miner.credentials.password, { salt: m.v2Salt, time, newsalt });
      m.signs.push(sign);
      if (m.signs.length > MAX_TOKENS) m.signs.shift();
      return JSON.stringify(native(134, { time, salt: m.v2Salt, newsalt }));
    }
    default:
      return JSON.stringify(native(14, 'invalid cmd', 'E'));
  }
}

const v3Reply = (desc: string, code: number, msg: unknown) => ({ code, when: when(), msg, desc });

function v3(miner: EmulatedMiner, request: Record<string, unknown>): Record<string, unknown> {
  const cmd = String(request.cmd ?? '');
  const s = miner.snapshot();
  const m = memory(miner);
  if (cmd === 'get.device.info') {
    const sections: Record<string, unknown> = {
      network: { ip: miner.host, proto: 'dhcp', mac: miner.mac, hostname: 'WhatsMiner' },
      miner: {
        working: String(!off(s)), type: modelName(miner), 'hash-board': modelName(miner), cointype: 'BTC',
        'board-num': String(s.boardTempsC.length), 'miner-sn': miner.serial, 'power-limit-set': String(powerLimit(miner, s)),
      },
      system: { api: '3.0.1', platform: 'H616', fwversion: FW_VERSION, 'control-board-version': 'CB6V10' },
      power: { type: 'P222B', model: 'P222B', pin: Math.round(s.powerW) },
      salt: m.v3Salt,
      'error-code': [],
    };
    const param = request.param;
    if (param === undefined) return v3Reply(cmd, 0, sections);
    if (typeof param !== 'string' || !(param in sections)) return v3Reply(cmd, -2, `invalid param: ${String(param)}`);
    return v3Reply(cmd, 0, { [param]: sections[param] });
  }
  if (cmd === 'get.miner.status') {
    if (request.param !== 'summary') return v3Reply(cmd, -2, `invalid param: ${String(request.param)}`);
    return v3Reply(cmd, 0, {
      summary: {
        elapsed: s.uptimeS, 'bootup-time': when() - s.uptimeS, 'hash-realtime': Math.round(s.hashrateThs * 100) / 100,
        'hash-average': Math.round(s.hashrateThs * 100) / 100, 'factory-hash': miner.spec.nominalThs,
        'power-realtime': Math.round(s.powerW), 'power-limit': powerLimit(miner, s), 'up-freq-finish': s.phase === 'hashing' ? 1 : 0,
        'board-temperature': s.boardTempsC, 'chip-temp-max': s.boardTempsC.length ? Math.max(...s.boardTempsC) : 0,
        'fan-speed-in': Math.round(s.fanRpm[0] ?? 0), 'fan-speed-out': Math.round(s.fanRpm[1] ?? s.fanRpm[0] ?? 0),
      },
    });
  }
  if (!cmd.startsWith('set.')) return v3Reply(cmd, -2, 'invalid command');
  const ts = Number(request.ts);
  if (request.account !== 'super' || !Number.isFinite(ts) || request.token !== v3Token(cmd, miner.credentials.password, m.v3Salt, ts)) {
    return v3Reply(cmd, -3, 'invalid token');
  }
  if (cmd === 'set.miner.service') {
    if (request.param === 'stop') miner.requestSleep();
    else if (request.param === 'start' || request.param === 'restart') miner.requestWake();
    else return v3Reply(cmd, -2, `invalid param: ${String(request.param)}`);
    return v3Reply(cmd, 0, 'ok');
  }
  if (cmd === 'set.miner.power_limit') {
    const watts = Number(request.param);
    if (!Number.isFinite(watts) || watts < 100 || watts > miner.spec.nominalW * 1.2) return v3Reply(cmd, -2, `invalid param: ${String(request.param)}`);
    miner.setPowerTarget(Math.round(watts));
    return v3Reply(cmd, 0, 'ok');
  }
  return v3Reply(cmd, -2, 'invalid command');
}

export const whatsminerPersonality: Personality = { firmware: 'whatsminer', cgminer, v3 };
/** A btminer build from before API v3 (e.g. 20210322): 4028 only. */
export const whatsminerV2Personality: Personality = { firmware: 'whatsminer', cgminer };
