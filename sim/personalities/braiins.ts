import { randomBytes } from 'node:crypto';
import type { EmulatedMiner, HttpReply, HttpRequestLike, MinerSnapshot, Personality } from '../emulated-miner.js';

/**
 * Braiins OS+ 25.07: the REST API v1 on port 80 (shapes of
 * ../shared/fixtures/miners/braiins-os/rest-v25.07; token from
 * `POST /api/v1/auth/login`, sent bare in `Authorization`) and the BOSminer
 * cgminer-compatible API on 4028 (shapes of bosminer-api-0.2: `tunerstatus`,
 * `pause`/`resume`, `temps`, `fans`). `braiinsLegacyPersonality` is an older
 * Braiins OS without the REST API.
 */

const BOS_VERSION = '2025-08-06-0-3881c51d-25.07-plus';
const DESCRIPTION = 'BOSminer bosminer-plus-am2-s17 0.6.0-fe72abe5';

interface BraiinsMemory {
  tokens: Set<string>;
}

function mem(miner: EmulatedMiner): BraiinsMemory {
  let m = miner.memory.get('braiins') as BraiinsMemory | undefined;
  if (!m) {
    m = { tokens: new Set() };
    miner.memory.set('braiins', m);
  }
  return m;
}

const status = (code: number, msg: string, letter = 'S') => [{ STATUS: letter, When: Math.floor(Date.now() / 1000), Code: code, Msg: msg, Description: DESCRIPTION }];
const round2 = (x: number) => Math.round(x * 100) / 100;
const paused = (s: MinerSnapshot) => s.phase === 'pausing' || s.phase === 'sleeping';

function powerLimit(miner: EmulatedMiner, s: MinerSnapshot): number {
  return Math.round(s.powerTargetW ?? miner.spec.nominalW);
}

function cgminerOne(miner: EmulatedMiner, command: string): Record<string, unknown> {
  const s = miner.snapshot();
  switch (command) {
    case 'tunerstatus': {
      const perChain = Math.round(s.powerW / Math.max(1, s.boardTempsC.length));
      return {
        STATUS: status(203, 'Tuner Status'),
        TUNERSTATUS: [{
          ApproximateChainPowerConsumption: paused(s) ? 0 : Math.round(s.powerW * 0.95),
          ApproximateMinerPowerConsumption: Math.round(s.powerW),
          DynamicPowerScaling: 'Disabled',
          PowerLimit: powerLimit(miner, s),
          TunerChainStatus: s.boardTempsC.map((_, i) => ({
            ApproximatePowerConsumptionWatt: perChain, HashchainIndex: i + 6, Iteration: 0, LoadedProfileCreatedOn: Math.floor(s.now / 1000) - s.uptimeS,
            PowerLimitWatt: Math.round(powerLimit(miner, s) / s.boardTempsC.length), StageElapsed: s.uptimeS, Status: 'Stable', TunerRunning: false, TuningElapsed: s.uptimeS,
          })),
        }],
        id: 1,
      };
    }
    case 'summary':
      return { STATUS: status(11, 'Summary'), SUMMARY: [{ Elapsed: s.uptimeS, 'MHS 5s': round2(s.hashrateThs * 1e6), 'MHS 1m': round2(s.hashrateThs * 1e6), 'MHS av': round2(miner.spec.nominalThs * 1e6), Accepted: Math.floor(s.uptimeS / 5), Rejected: 0 }], id: 1 };
    case 'temps':
      return { STATUS: status(201, `${s.boardTempsC.length} Temp(s)`), TEMPS: s.boardTempsC.map((t, i) => ({ Board: round2(t - 15), Chip: round2(t), ID: i + 6, TEMP: i })), id: 1 };
    case 'fans':
      return { STATUS: status(202, `${s.fanRpm.length} Fan(s)`), FANS: s.fanRpm.map((rpm, i) => ({ FAN: i, ID: i, RPM: Math.round(rpm), Speed: paused(s) ? 20 : 100 })), id: 1 };
    case 'devdetails':
      // BOSminer lists each hashchain with its chip count and operating point (the model is the machine's).
      return {
        STATUS: status(69, 'Device Details'),
        DEVDETAILS: s.boardTempsC.map((_, i) => ({
          Chips: 110, Cores: 110 * 112, DEVDETAILS: i, 'Device Path': String(i + 6), Driver: 'BitmainAM2', Frequency: paused(s) ? 0 : 525,
          ID: i, Kernel: '', Model: miner.spec.model, Name: '', Voltage: 13.2,
        })),
        id: 1,
      };
    case 'version':
      return { STATUS: status(22, 'BOSminer versions'), VERSION: [{ BOSminer: '0.6.0-fe72abe5', API: '3.7', Type: miner.spec.model }], id: 1 };
    case 'pause':
      miner.requestSleep();
      return { STATUS: status(204, 'Pause'), PAUSE: [true], id: 1 };
    case 'resume':
      miner.requestWake();
      return { STATUS: status(205, 'Resume'), RESUME: [true], id: 1 };
    default:
      return { STATUS: status(14, 'Invalid command', 'E'), id: 1 };
  }
}

function cgminer(miner: EmulatedMiner, request: Record<string, unknown>): string {
  const command = typeof request.command === 'string' ? request.command : '';
  if (command.includes('+')) {
    const joined: Record<string, unknown> = {};
    for (const part of command.split('+')) joined[part] = [cgminerOne(miner, part)];
    return JSON.stringify({ ...joined, id: 1 });
  }
  return JSON.stringify(cgminerOne(miner, command));
}

const json = (status: number, body: unknown): HttpReply => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const gh = (ths: number) => ({ gigahash_per_second: round2(ths * 1000) });

/** The best share since boot grows with the work done (a stand-in for luck). */
const bestShare = (s: MinerSnapshot) => 262_144 * (1 + Math.floor(s.uptimeS / 60));

const WINDOWS = ['last_15m', 'last_15s', 'last_1h', 'last_1m', 'last_24h', 'last_30m', 'last_30s', 'last_5m', 'last_5s', 'since_restart'] as const;

/** The hashrate block miner/stats and each hashboard carry: every averaging window, nominal and error rates. */
function hashStats(nominalThs: number, ths: number, s: MinerSnapshot): Record<string, unknown> {
  return {
    best_share: bestShare(s),
    error_hashrate: { megahash_per_second: 0 },
    found_blocks: 0,
    nominal_hashrate: gh(nominalThs),
    real_hashrate: Object.fromEntries(WINDOWS.map((w) => [w, gh(w === 'since_restart' && s.uptimeS > 0 ? ths * 0.97 : ths)])),
  };
}

function parseBody(request: HttpRequestLike): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(request.body.toString('utf8') || '{}') as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function http(miner: EmulatedMiner, request: HttpRequestLike): HttpReply {
  const m = mem(miner);
  const path = request.url.split('?')[0] ?? '';
  if (request.method === 'POST' && path === '/api/v1/auth/login') {
    const body = parseBody(request);
    if (!body) return json(400, { message: 'invalid JSON body' });
    if (body.username !== miner.credentials.username || body.password !== miner.credentials.password) return json(401, { message: 'Invalid username or password' });
    const token = randomBytes(12).toString('base64url');
    m.tokens.add(token);
    return json(200, { token, timeout_s: 3600 });
  }
  if (!path.startsWith('/api/v1/')) return { status: 404, body: 'Not Found' };
  const auth = request.headers.authorization;
  if (typeof auth !== 'string' || !m.tokens.has(auth)) return json(401, { message: 'Unauthorized' });
  const s = miner.snapshot();
  const key = `${request.method} ${path}`;
  switch (key) {
    case 'GET /api/v1/version':
      return json(200, { major: 1, minor: 0, patch: 0 });
    case 'GET /api/v1/miner/stats':
      return json(200, {
        miner_stats: hashStats(miner.spec.nominalThs, s.hashrateThs, s),
        pool_stats: {
          accepted_shares: Math.floor(s.uptimeS / 5), best_share: bestShare(s), generated_work: Math.floor(s.uptimeS * 255_000), last_difficulty: 262144,
          last_share_time: { nanos: (s.now % 1000) * 1_000_000, seconds: Math.floor(s.now / 1000) - 1 }, rejected_shares: 0, stale_shares: 0,
        },
        power_stats: { approximated_consumption: { watt: Math.round(s.powerW) }, efficiency: { joule_per_terahash: s.hashrateThs > 0 ? s.powerW / s.hashrateThs : 0 } },
      });
    case 'GET /api/v1/miner/hw/hashboards':
      return json(200, {
        hashboards: s.boardTempsC.map((t, i) => ({
          board_name: 'BHB56801', board_temp: { degree_c: round2(t - 15) }, chip_type: 'BM1366', chips_count: 110,
          current_frequency: { hertz: paused(s) ? 0 : 486_704_545 }, current_voltage: { volt: paused(s) ? 0 : 12.94 }, enabled: !paused(s),
          highest_chip_temp: { id: 1, location: 1, temperature: { degree_c: round2(t) } }, highest_outlet_temp: { degree_c: round2(t - 15) },
          id: String(i + 1), lowest_inlet_temp: { degree_c: round2(t - 30) }, model: 'BHB56801', serial_number: `${miner.serial}B${i}`,
          stats: hashStats(miner.spec.nominalThs / s.boardTempsC.length, s.hashrateThs / s.boardTempsC.length, s),
        })),
      });
    case 'GET /api/v1/miner/details':
      return json(200, {
        bos_mode: 4,
        bos_version: { bos_plus: true, current: BOS_VERSION, major: '2022-09-13-0-11012d53-22.08-plus' },
        bosminer_uptime_s: s.uptimeS,
        control_board_soc_family: 3,
        hostname: miner.id,
        kernel_version: '4.9.113',
        mac_address: miner.mac,
        miner_identity: { brand: 1, miner_model: miner.spec.model, model: 18, name: miner.spec.model },
        platform: 4,
        psu_info: { fw_version: null, max_voltage: { volt: 15.2 }, min_voltage: { volt: 11.96 }, model_name: 'APW121215d/e', serial_number: null, version: 117 },
        serial_number: miner.serial,
        status: paused(s) ? 3 : 2,
        sticker_hashrate: gh(miner.spec.nominalThs),
        system_uptime: s.uptimeS + 40,
        system_uptime_s: s.uptimeS + 40,
        uid: miner.serial.slice(0, 16),
      });
    case 'GET /api/v1/performance/tuner-state':
      return json(200, {
        mode_state: {
          powertargetmodestate: {
            current_target: { watt: powerLimit(miner, s) },
            profile: { created: { nanos: 0, seconds: Math.floor(s.now / 1000) - s.uptimeS }, estimated_power_consumption: { watt: Math.round(s.powerW) }, measured_hashrate: gh(s.hashrateThs), target: { watt: powerLimit(miner, s) } },
          },
        },
        overall_tuner_state: 2,
      });
    case 'GET /api/v1/configuration/miner':
      return json(200, { pool_groups: [], tuner: { enabled: true, hashrate_target: null, power_target: { watt: powerLimit(miner, s) }, tuner_mode: 1 } });
    case 'GET /api/v1/cooling/state':
      return json(200, { fans: s.fanRpm.map((rpm, i) => ({ position: i, rpm: Math.round(rpm), target_speed_ratio: paused(s) ? 0.2 : 1 })), highest_temperature: { id: null, location: 1, temperature: { degree_c: Math.max(...s.boardTempsC) } } });
    case 'PUT /api/v1/actions/pause':
      miner.requestSleep();
      return json(200, {});
    case 'PUT /api/v1/actions/resume':
      miner.requestWake();
      return json(200, {});
    case 'PUT /api/v1/performance/power-target': {
      const watt = Number(parseBody(request)?.watt);
      if (!Number.isFinite(watt) || watt <= 0) return json(400, { message: 'watt must be a positive number' });
      miner.setPowerTarget(Math.round(watt));
      return json(200, { watt: Math.round(watt) });
    }
    default:
      return json(404, { message: `no route ${key}` });
  }
}

export const braiinsPersonality: Personality = { firmware: 'braiins', cgminer, http };

/** Braiins OS before the REST API: BOSminer cgminer API only. */
export const braiinsLegacyPersonality: Personality = { firmware: 'braiins', cgminer };
