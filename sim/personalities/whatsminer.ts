import { randomBytes } from 'node:crypto';
import type { EmulatedMiner, MinerSnapshot, Personality } from '../emulated-miner.js';
import { decryptV2, deriveV2Session, encryptV2 } from '../../agent/drivers/miners/whatsminer/v2-crypto.js';
import { v3Token } from '../../agent/drivers/miners/whatsminer/v3-auth.js';

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
const MAX_TOKENS = 8;

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
const fw = "'20220919.15.REL'";

/** btminer-native replies: a single STATUS letter and Msg at the top level. */
const native = (code: number, msg: unknown, letter = 'S') => ({ STATUS: letter, When: when(), Code: code, Msg: msg, Description: '' });
const cg = (code: number, msg: string, extra: Record<string, unknown>) =>
  JSON.stringify({ STATUS: [{ STATUS: 'S', When: when(), Code: code, Msg: msg, Description: 'cgminer 4.9.2' }], ...extra, id: 1 });

function summaryRow(miner: EmulatedMiner, s: MinerSnapshot): Record<string, unknown> {
  const mhs = Math.round(s.hashrateThs * 1e6 * 100) / 100;
  const chipMax = s.boardTempsC.length ? Math.max(...s.boardTempsC) : 0;
  return {
    Elapsed: s.uptimeS, 'MHS av': mhs, 'MHS 5s': mhs, 'MHS 1m': mhs, 'MHS 5m': mhs, 'MHS 15m': mhs, 'HS RT': mhs,
    Accepted: Math.floor(s.uptimeS / 4), Rejected: 0, 'Hardware Errors': 0, Temperature: Math.round(chipMax - 15),
    'Chip Temp Max': chipMax, 'Chip Temp Avg': Math.round((chipMax - 8) * 100) / 100, 'Chip Temp Min': Math.round(chipMax - 20),
    'Fan Speed In': Math.round(s.fanRpm[0] ?? 0), 'Fan Speed Out': Math.round(s.fanRpm[1] ?? s.fanRpm[0] ?? 0),
    Power: Math.round(s.powerW), Power_RT: Math.round(s.powerW), 'Power Limit': powerLimit(miner, s), 'Power Mode': 'Normal',
    'Factory GHS': Math.round(miner.spec.nominalThs * 1000), 'Target MHS': Math.round(miner.spec.nominalThs * 1e6 * 0.95),
    'Firmware Version': fw, MAC: miner.mac, 'Error Code Count': 0, 'Security Mode': 0, Uptime: s.uptimeS + 600,
  };
}

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

function cgminer(miner: EmulatedMiner, request: Record<string, unknown>): string {
  if (request.enc !== undefined) return v2Write(miner, request);
  const s = miner.snapshot();
  const m = memory(miner);
  switch (request.cmd ?? request.command) {
    case 'summary':
      return cg(11, 'Summary', { SUMMARY: [summaryRow(miner, s)] });
    case 'devs':
      return cg(9, `${s.boardTempsC.length} ASC(s)`, {
        DEVS: s.boardTempsC.map((t, i) => ({
          ASC: i, Slot: i, ID: i, Name: 'SM', Enabled: 'Y', Status: 'Alive', Temperature: Math.round(t - 15), 'Chip Temp Max': t,
          'MHS 5s': Math.round((s.hashrateThs * 1e6) / s.boardTempsC.length), 'Device Elapsed': s.uptimeS,
        })),
      });
    case 'devdetails':
      return cg(69, 'Device Details', {
        DEVDETAILS: s.boardTempsC.map((_, i) => ({ DEVDETAILS: i, Name: 'SM', ID: i, Driver: 'bitmicro', Kernel: '', Model: modelName(miner) })),
      });
    case 'status':
      return JSON.stringify(native(131, { btmineroff: String(off(s)), 'Firmware Version': fw }));
    case 'get_version':
      return JSON.stringify(native(131, { api_ver: 'whatsminer v1.4.0', fw_ver: '20220919.15.REL' }));
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
      system: { api: '3.0.1', platform: 'H616', fwversion: '20240628.15.REL', 'control-board-version': 'CB6V10' },
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
