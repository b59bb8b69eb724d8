import { randomBytes } from 'node:crypto';
import type { EmulatedMiner, MinerSnapshot, Personality } from '../emulated-miner.js';
import { bitmainStatsRow } from './bitmain-stats.js';
import { defaultPools, poolRows } from './cgminer-pools.js';

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
const MINER = VERSION.split('-')[0]!;
const COMPILE_TIME = 'Tue Apr  8 22:05:35 UTC 2025';
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
  /** Steps from the nameplate profile (LuxOS's "Step": "-12"). */
  step: number;
  voltage: number;
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
      step,
      voltage: round2(Math.max(11.88, 13.5 + step * 0.1)),
    });
  }
  return out;
}

function curtailed(s: MinerSnapshot): boolean {
  return s.phase === 'pausing' || s.phase === 'sleeping';
}

function configRow(miner: EmulatedMiner, s: MinerSnapshot, m: LuxosMemory): Record<string, unknown> {
  const profile = luxosProfiles(miner).find((p) => p.name === m.profile);
  return {
    'ASC Count': s.boardTempsC.length, BcastAddr: '', ControlBoardType: 'cvitek', Cooling: 'Air', CurtailMode: curtailed(s) ? 'Sleep' : 'None',
    DHCP: true, 'DNS Servers': '', 'Device Code': '', FPGABuildIdHex: '0x20250408', FPGABuildIdStr: '2025-04-08 22:05', FeeStatus: 'Ok',
    Gateway: '', GreenLed: 'auto', Hostname: miner.id, Hotplug: 'None', IPAddr: miner.host, ImmersionMode: false, IsAtmEnabled: m.atm,
    IsPowerSupplyOn: s.phase !== 'sleeping', IsSingleVoltage: true, IsTuning: false, 'Log Interval': 0, LogFileLevel: 'info',
    MACAddr: miner.mac, Model: miner.spec.model, NameplateTHS: miner.spec.nominalThs, Netmask: '255.255.255.0', OS: 'LuxOS',
    'PGA Count': 0, PSUHwVersion: '75', PSULabel: 'APW121215e', 'Pool Count': defaultPools(miner).length, Profile: m.profile,
    ProfileStep: String(profile?.step ?? 0), RedLed: 'auto', SerialNumber: miner.serial, Strategy: 'Failover', SystemStatus: 'Normal',
    UpdateOnStartup: 'off', UpdateOnTimeout: 'off', UpdateOnUser: 'full', UpdateSource: 'https://storage.googleapis.com/luxor-firmware/stable', UpdateTimeout: 60,
  };
}

function devRow(miner: EmulatedMiner, s: MinerSnapshot, m: LuxosMemory, tempC: number, i: number): Record<string, unknown> {
  const mhs = round2((s.hashrateThs * 1e6) / s.boardTempsC.length);
  const accepted = s.hashrateThs > 0 ? Math.floor(s.uptimeS / 7) : 0;
  const now = Math.floor(s.now / 1000);
  return {
    ASC: i, Accepted: accepted, Board: 'BHB56903', Connector: `J${8 + i}`, ControllerIPVersionHex: '0x20250408', ControllerIPVersionStr: 'N/A',
    'Device Elapsed': s.uptimeS, 'Device Hardware%': 0, 'Device Rejected%': 0, 'Diff1 Work': accepted * 32768, 'Difficulty Accepted': accepted * 32768,
    'Difficulty Rejected': 0, Enabled: 'Y', 'Hardware Error MHS 15m': 0, 'Hardware Errors': 0, ID: i, IsRamping: s.phase === 'waking',
    IsUserShutdown: curtailed(s), 'Last Share Difficulty': 32768, 'Last Share Pool': 0, 'Last Share Time': now - 1, 'Last Valid Work': now - 1,
    'MHS 15m': mhs, 'MHS 1m': mhs, 'MHS 30m': mhs, 'MHS 5m': mhs, 'MHS 5s': mhs, 'MHS 60m': mhs, 'MHS av': mhs, Name: '',
    'Nominal MHS': round2((miner.spec.nominalThs * 1e6) / s.boardTempsC.length), Profile: m.profile, Rejected: 0,
    SerialNumber: `${miner.serial}${i}`, Status: 'Alive', Temperature: round2(tempC), 'Total MH': round2(mhs * s.uptimeS), Utility: 0,
  };
}

function read(miner: EmulatedMiner, command: string): Record<string, unknown> {
  const s = miner.snapshot();
  const m = mem(miner);
  switch (command) {
    case 'power':
      return reply(311, 'Power usage', { POWER: [{ PSU: false, Watts: Math.round(s.powerW) }] });
    case 'summary': {
      const ghs = round2(s.hashrateThs * 1000);
      const accepted = s.hashrateThs > 0 ? Math.floor(s.uptimeS / 2.3) : 0;
      return reply(11, 'Summary', {
        SUMMARY: [{
          Accepted: accepted, 'Best Share': 32768, 'Device Hardware%': 0, 'Device Rejected%': 0, 'Difficulty Accepted': accepted * 32768,
          'Difficulty Rejected': 0, 'Difficulty Stale': 0, Discarded: 0, Elapsed: s.uptimeS, 'Found Blocks': 0,
          'GHS 15m': ghs, 'GHS 1m': ghs, 'GHS 24h': ghs, 'GHS 30m': ghs, 'GHS 5m': ghs, 'GHS 5s': ghs, 'GHS av': ghs,
          'Get Failures': 0, Getworks: Math.floor(s.uptimeS / 5), 'Hardware Errors': 0, 'Last getwork': Math.floor(s.now / 1000) - 4,
          'Local Work': 0, 'Network Blocks': 0, 'Pool Rejected%': 0, 'Pool Stale%': 0, Rejected: 0, 'Remote Failures': 0, Stale: 0,
          'Total MH': round2(s.hashrateThs * 1e6 * s.uptimeS), Utility: round2((accepted / Math.max(1, s.uptimeS)) * 60), 'Work Utility': round2(s.hashrateThs / 10),
        }],
      });
    }
    case 'stats':
      return reply(70, 'LUXminer stats', { STATS: [{ CompileTime: COMPILE_TIME, Miner: MINER, Type: miner.spec.model }, bitmainStatsRow(miner, s, { minerVersion: MINER, emptyRate: '0', floats: true })] });
    case 'config':
      return reply(33, 'LUXminer config', { CONFIG: [configRow(miner, s, m)] });
    case 'version':
      return reply(22, 'LUXminer versions', { VERSION: [{ API: '3.7', CompileTime: COMPILE_TIME, LUXminer: VERSION, Miner: MINER, Type: miner.spec.model }] });
    case 'devs':
      return reply(9, `${s.boardTempsC.length} ASC(s)`, { DEVS: s.boardTempsC.map((t, i) => devRow(miner, s, m, t, i)) });
    case 'fans':
      // LuxOS names fans by their connector (FAN1…FAN4) in the order the board reports them.
      return reply(202, `${s.fanRpm.length} Fan(s)`, {
        FANCTRL: [{ MinFans: Math.max(1, s.fanRpm.length - 1), PowerOffSpeed: 20 }],
        FANS: s.fanRpm.map((rpm, i) => ({ FAN: `FAN${((i + 3) % s.fanRpm.length) + 1}`, ID: i, RPM: Math.round(rpm), Speed: curtailed(s) ? 20 : 100 })),
      });
    case 'temps': {
      const corner = (label: string, row: number, col: number) => ({ Label: label, Position: [row, col] });
      return reply(201, `${s.boardTempsC.length} Temp(s)`, {
        METADATA: [{ BottomLeft: corner('Board Exhaust (bottom)', 1, 0), BottomRight: corner('Board Intake (bottom)', 1, 1), TopLeft: corner('Board Exhaust (top)', 0, 0), TopRight: corner('Board Intake (top)', 0, 1) }],
        TEMPS: s.boardTempsC.map((t, i) => ({ BottomLeft: round2(t), BottomRight: round2(t - 13), ID: i, TEMP: i, TopLeft: round2(t), TopRight: round2(t - 13) })),
      });
    }
    case 'pools': {
      const pools = defaultPools(miner);
      return reply(7, `${pools.length} Pool(s)`, { POOLS: poolRows('luxminer', miner, s, pools) });
    }
    case 'groups':
      return reply(323, '1 Group(s)', { GROUPS: [{ GROUP: 0, Name: 'Default', Quota: 1, Strategy: 'Failover' }] });
    case 'profiles':
      return reply(323, 'List profiles', {
        PROFILES: luxosProfiles(miner).map((p) => ({
          CanRestore: true, Frequency: p.frequency, HasOverrides: false, Hashrate: p.hashrate, IsDynamic: true, IsTuned: p.name === m.profile,
          'Profile Name': p.name, Step: String(p.step), Voltage: p.voltage, Watts: p.watts,
        })),
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
