import { randomBytes } from 'node:crypto';
import type { EmulatedMiner, MinerSnapshot, Personality } from '../emulated-miner.js';

/**
 * LuxOS (LUXminer 2025.4.8) on the cgminer API, shapes of
 * ../shared/fixtures/miners/luxos/2025.4.8-s19kpro. Sessions follow
 * docs.luxor.tech/firmware/api/sessions: one at a time, 60 s idle expiry
 * refreshed on use; `logon` while another is live fails naming it. Write
 * commands (`curtail`, `profileset`, `atmset`) take the session id first.
 * Joined commands (`power+summary`) are answered like cgminer does.
 */

const VERSION = '2025.4.8.220305-57b389c7';
const DESCRIPTION = `LUXminer ${VERSION}`;
/** LuxOS's own rule, independent of the emulator's time factor. */
const SESSION_IDLE_MS = 60_000;

interface LuxosMemory {
  session?: { id: string; lastUsed: number };
  atm: boolean;
  profile: string;
}

function mem(miner: EmulatedMiner): LuxosMemory {
  let m = miner.memory.get('luxos') as LuxosMemory | undefined;
  if (!m) {
    m = { atm: true, profile: 'default' };
    miner.memory.set('luxos', m);
  }
  return m;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const status = (code: number, msg: string, letter = 'S') => [{ Code: code, Description: DESCRIPTION, Msg: msg, STATUS: letter, When: Math.floor(Date.now() / 1000) }];
const reply = (code: number, msg: string, body: Record<string, unknown> = {}) => ({ ...body, STATUS: status(code, msg), id: 1 });
const error = (code: number, msg: string) => ({ STATUS: status(code, msg, 'E'), id: 1 });

interface Profile {
  name: string;
  watts: number;
  hashrate: number;
  frequency: number;
}

/** 25 profiles in 25 MHz steps around the nameplate ("default"), as LuxOS generates (docs: Preset Profiles). */
export function luxosProfiles(miner: EmulatedMiner): Profile[] {
  const baseFreq = 565;
  const out: Profile[] = [];
  for (let step = -16; step <= 8; step++) {
    const frequency = baseFreq + step * 25;
    const scale = frequency / baseFreq;
    out.push({
      name: step === 0 ? 'default' : `${frequency}MHz`,
      watts: Math.round(miner.spec.nominalW * scale * (0.85 + 0.15 * scale)),
      hashrate: round2(miner.spec.nominalThs * scale),
      frequency,
    });
  }
  return out;
}

function curtailed(s: MinerSnapshot): boolean {
  return s.phase === 'pausing' || s.phase === 'sleeping';
}

function statsBody(miner: EmulatedMiner, s: MinerSnapshot): Record<string, unknown> {
  const body: Record<string, unknown> = {
    Elapsed: s.uptimeS,
    'GHS 5s': round2(s.hashrateThs * 1000),
    'GHS av': round2(s.hashrateThs * 1000),
    ID: 'BTM_SOC0',
    fan_num: s.fanRpm.length,
    miner_count: s.boardTempsC.length,
    rate_unit: 'GH',
    temp_max: Math.max(...s.boardTempsC),
    temp_num: s.boardTempsC.length,
    total_rateideal: round2(miner.spec.nominalThs * 1000),
  };
  s.fanRpm.forEach((rpm, i) => (body[`fan${i + 1}`] = Math.round(rpm)));
  s.boardTempsC.forEach((t, i) => (body[`temp${i + 1}`] = round2(t)));
  return body;
}

function read(miner: EmulatedMiner, command: string): Record<string, unknown> {
  const s = miner.snapshot();
  const m = mem(miner);
  switch (command) {
    case 'power':
      return reply(311, 'Power usage', { POWER: [{ PSU: false, Watts: Math.round(s.powerW) }] });
    case 'summary':
      return reply(11, 'Summary', {
        SUMMARY: [{ Accepted: Math.floor(s.uptimeS / 5), Elapsed: s.uptimeS, 'GHS 5s': round2(s.hashrateThs * 1000), 'GHS av': round2(s.hashrateThs * 1000), 'Hardware Errors': 0, Rejected: 0 }],
      });
    case 'stats':
      return reply(70, 'LUXminer stats', { STATS: [{ CompileTime: 'Tue Apr  8 22:05:35 UTC 2025', Miner: VERSION.split('-')[0], Type: miner.spec.model }, statsBody(miner, s)] });
    case 'config':
      return reply(33, 'LUXminer config', {
        CONFIG: [{
          CurtailMode: curtailed(s) ? 'Sleep' : 'None',
          Hostname: miner.id,
          IsAtmEnabled: m.atm,
          IsPowerSupplyOn: s.phase !== 'sleeping',
          MACAddr: miner.mac,
          Model: miner.spec.model,
          NameplateTHS: miner.spec.nominalThs,
          OS: 'LuxOS',
          Profile: m.profile,
          SerialNumber: miner.serial,
          SystemStatus: 'Normal',
        }],
      });
    case 'version':
      return reply(22, 'LUXminer versions', { VERSION: [{ API: '3.7', LUXminer: VERSION, Miner: VERSION.split('-')[0], Type: miner.spec.model }] });
    case 'profiles':
      return reply(323, 'List profiles', {
        PROFILES: luxosProfiles(miner).map((p) => ({ 'Profile Name': p.name, Watts: p.watts, Hashrate: p.hashrate, Frequency: p.frequency, IsDynamic: true, CanRestore: true })),
      });
    case 'session':
      return reply(319, 'Session information', { SESSION: [{ SessionID: liveSession(m)?.id ?? '' }] });
    default:
      return error(14, 'Invalid command');
  }
}

function liveSession(m: LuxosMemory): { id: string; lastUsed: number } | undefined {
  if (m.session && Date.now() - m.session.lastUsed >= SESSION_IDLE_MS) m.session = undefined;
  return m.session;
}

function write(miner: EmulatedMiner, command: string, parameter: string): Record<string, unknown> {
  const m = mem(miner);
  const [sid, ...args] = parameter.split(',');
  const session = liveSession(m);
  if (!session || session.id !== sid) return error(320, 'Invalid session id');
  session.lastUsed = Date.now();
  switch (command) {
    case 'curtail':
      if (args[0] === 'sleep') miner.requestSleep();
      else if (args[0] === 'wakeup') miner.requestWake();
      else return error(45, `Invalid curtail mode '${args[0] ?? ''}'`);
      return reply(340, `Curtail ${args[0]}`);
    case 'profileset': {
      const profile = luxosProfiles(miner).find((p) => p.name === args[0]);
      if (!profile) return error(322, `Profile '${args[0] ?? ''}' not found`);
      m.profile = profile.name;
      miner.setPowerTarget(profile.name === 'default' ? null : profile.watts);
      return reply(321, 'Profile Set', { PROFILE: [{ Board: 0, FrequencyStep: 5, Profile: profile.name, VoltageStep: 0.05 }] });
    }
    case 'atmset':
      for (const arg of args) if (arg.startsWith('enabled=')) m.atm = arg === 'enabled=true';
      return reply(339, 'ATM configuration updated', { ATM: [{ Enabled: m.atm }] });
    case 'logoff':
      m.session = undefined;
      return reply(317, 'Session closed');
    default:
      return error(14, 'Invalid command');
  }
}

function one(miner: EmulatedMiner, command: string, parameter: string): Record<string, unknown> {
  const m = mem(miner);
  if (command === 'logon') {
    const held = liveSession(m);
    if (held) return error(318, `Another session is active (SessionID: ${held.id})`);
    m.session = { id: sessionId(), lastUsed: Date.now() };
    return reply(316, 'Session created', { SESSION: [{ SessionID: m.session.id }] });
  }
  if (command === 'kill') {
    m.session = undefined;
    return reply(317, 'Session killed');
  }
  if (['curtail', 'profileset', 'atmset', 'logoff'].includes(command)) return write(miner, command, parameter);
  return read(miner, command);
}

export const luxosPersonality: Personality = {
  firmware: 'luxos',
  cgminer(miner: EmulatedMiner, request: Record<string, unknown>): string {
    const command = typeof request.command === 'string' ? request.command : '';
    const parameter = typeof request.parameter === 'string' ? request.parameter : '';
    if (command.includes('+')) {
      const joined: Record<string, unknown> = {};
      for (const part of command.split('+')) joined[part] = [one(miner, part, parameter)];
      return JSON.stringify({ ...joined, id: 1 });
    }
    return JSON.stringify(one(miner, command, parameter));
  },
};

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Eight alphanumerics, like LuxOS's "yJN2nlj1". */
function sessionId(): string {
  return [...randomBytes(8)].map((b) => ID_CHARS[b % ID_CHARS.length]).join('');
}
