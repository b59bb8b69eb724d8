import { createHash, randomBytes } from 'node:crypto';
import type { EmulatedMiner, HttpReply, HttpRequestLike, MinerSnapshot, Personality } from '../emulated-miner.js';
import { bitmainStatsRow, chipsPerBoard } from './bitmain-stats.js';
import { defaultPools, poolRows } from './cgminer-pools.js';

/**
 * Stock Bitmain firmware (bmminer 49.x, shapes of
 * ../shared/fixtures/miners/antminer-stock/bmminer-49.0.1.3-s19pro): the
 * cgminer API on 4028 (no joined commands) and the web CGI on 80 behind HTTP
 * digest auth (RFC 7616, MD5, qop=auth, realm "antMiner Configuration").
 * `miner-mode` 1 sleeps, 0 (or another mode) wakes; the firmware answers
 * success either way, and the core's ignoreSleep fault keeps it hashing.
 */

const REALM = 'antMiner Configuration';
const MAX_NONCES = 16;
const DESCRIPTION = 'cgminer 1.0.0';
const MINER_VERSION = '49.0.1.3';
const COMPILE_TIME = 'Tue Dec  6 16:12:30 CST 2022';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const round2 = (x: number) => Math.round(x * 100) / 100;

interface AntminerMemory {
  nonces: string[];
  workMode: string;
  pools: Array<{ url: string; user: string; pass: string }>;
}

function memory(miner: EmulatedMiner): AntminerMemory {
  let m = miner.memory.get('antminer') as AntminerMemory | undefined;
  if (!m) {
    m = { nonces: [], workMode: '0', pools: defaultPools(miner).map((p) => ({ ...p, pass: 'x' })) };
    miner.memory.set('antminer', m);
  }
  return m;
}

function status(code: number, msg: string, letter = 'S') {
  return [{ STATUS: letter, When: Math.floor(Date.now() / 1000), Code: code, Msg: msg, Description: DESCRIPTION }];
}

/** Shares and work figures that grow with uptime, as cgminer counts them. */
function shareCounts(s: MinerSnapshot) {
  const accepted = s.hashrateThs > 0 ? Math.floor(s.uptimeS / 12) : 0;
  return { accepted, difficulty: accepted * 524_288, hw: Math.floor(s.uptimeS / 90) };
}

function statsReply(miner: EmulatedMiner, s: MinerSnapshot): Record<string, unknown> {
  return {
    STATUS: status(70, 'CGMiner stats'),
    STATS: [{ BMMiner: '1.0.0', Miner: MINER_VERSION, CompileTime: COMPILE_TIME, Type: miner.spec.model }, bitmainStatsRow(miner, s, { minerVersion: MINER_VERSION, emptyRate: '', floats: false })],
    id: 1,
  };
}

/**
 * `stats` with `new_api` (2022+ Bitmain firmware; also what
 * /cgi-bin/stats.cgi serves): one row with `rate_*` figures and a `chain`
 * array whose temperatures are arrays of numbers, no header row.
 */
export function newApiStats(miner: EmulatedMiner, s: MinerSnapshot): Record<string, unknown> {
  const ghs = round2(s.hashrateThs * 1000);
  const boards = s.boardTempsC.length;
  const chips = chipsPerBoard(miner.spec.model);
  const triplet = (t: number, offset: number) => [t - offset, t - offset - 23, t - offset - 9, t - offset - 8].map((v) => Math.max(0, Math.round(v)));
  return {
    STATUS: { STATUS: 'S', when: Math.floor(s.now / 1000), Msg: 'stats', api_version: '1.0.0' },
    INFO: { miner_version: MINER_VERSION, CompileTime: COMPILE_TIME, type: miner.spec.model },
    STATS: [{
      elapsed: s.uptimeS,
      rate_5s: ghs,
      rate_30m: ghs,
      rate_avg: ghs,
      rate_ideal: round2(miner.spec.nominalThs * 1000),
      rate_unit: 'GH/s',
      chain_num: boards,
      fan_num: s.fanRpm.length,
      fan: s.fanRpm.map((rpm) => Math.round(rpm)),
      hwp_total: 0,
      'miner-mode': Number(memory(miner).workMode),
      'freq-level': 100,
      chain: s.boardTempsC.map((t, i) => ({
        index: i,
        freq_avg: s.hashrateThs > 0 ? 525 : 0,
        rate_ideal: round2((miner.spec.nominalThs * 1000) / boards),
        rate_real: round2(ghs / boards),
        asic_num: chips,
        temp_pic: triplet(t, 15),
        temp_pcb: triplet(t, 5),
        temp_chip: triplet(t, 0),
        hw: Math.floor(s.uptimeS / 300),
        eeprom_loaded: true,
        sn: `${miner.serial}B${i}`,
        hwp: 0,
      })),
    }],
  };
}

/** True when a `stats` request asks for the new API: `"new_api":true` beside the command or in its parameter. */
function wantsNewApi(request: Record<string, unknown>): boolean {
  const p = request.parameter;
  if (request.new_api === true || request.new_api === 'true') return true;
  if (typeof p === 'object' && p !== null) return (p as Record<string, unknown>).new_api === true;
  return typeof p === 'string' && /new_api/.test(p);
}

function cgminer(miner: EmulatedMiner, request: Record<string, unknown>): string {
  const s = miner.snapshot();
  const ghs = round2(s.hashrateThs * 1000);
  const { accepted, difficulty, hw } = shareCounts(s);
  const totalMh = round2(s.hashrateThs * 1e6 * s.uptimeS);
  switch (request.command) {
    case 'summary':
      return JSON.stringify({
        STATUS: status(11, 'Summary'),
        SUMMARY: [{
          Accepted: accepted, 'Best Share': difficulty * 3, 'Device Hardware%': 0, 'Device Rejected%': 0, 'Difficulty Accepted': difficulty,
          'Difficulty Rejected': 0, 'Difficulty Stale': 0, Discarded: accepted * 1100, Elapsed: s.uptimeS, 'Found Blocks': 0,
          'GHS 30m': ghs, 'GHS 5s': ghs, 'GHS av': ghs, 'Get Failures': 0, Getwork: Math.floor(s.uptimeS / 12), 'Hardware Errors': hw,
          'Last getwork': Math.floor(s.now / 1000), 'Local Work': accepted * 1100, 'Network Blocks': Math.floor(s.uptimeS / 600),
          'Pool Rejected%': 0, 'Pool Stale%': 0, Rejected: 0, 'Remote Failures': 0, Stale: 0, 'Total MH': totalMh,
          Utility: round2((accepted / Math.max(1, s.uptimeS)) * 60), 'Work Utility': round2(ghs * 14),
        }],
        id: 1,
      });
    case 'stats':
      return JSON.stringify(wantsNewApi(request) ? newApiStats(miner, s) : statsReply(miner, s));
    case 'version':
      return JSON.stringify({
        STATUS: status(22, 'CGMiner versions'),
        VERSION: [{ API: '3.1', BMMiner: '1.0.0', CompileTime: COMPILE_TIME, Miner: MINER_VERSION, Type: miner.spec.model }],
        id: 1,
      });
    case 'devs':
      // bmminer lists its SoC as one device with zero rates; the boards are in `stats` ("Tenperature" is bmminer's spelling).
      return JSON.stringify({
        STATUS: status(9, '1 ASC(s)'),
        DEVS: [{
          ASC: 0, Accepted: accepted, 'Device Elapsed': s.uptimeS, 'Device Hardware%': 0, 'Device Rejected%': 0, 'Diff1 Work': 0,
          'Difficulty Accepted': difficulty, 'Difficulty Rejected': 0, Enabled: 'Y', 'Hardware Errors': 0, ID: 0,
          'Last Share Difficulty': Math.floor(s.now / 1000), 'Last Share Pool': 0, 'Last Share Time': Math.floor(s.now / 1000),
          'Last Valid Work': Math.floor(s.now / 1000), 'MHS 5s': 0, 'MHS av': 0, Name: 'BTM_SOC', Rejected: 0, Status: 'Alive',
          Tenperature: 0, 'Total MH': 0, Utility: 0,
        }],
        id: 1,
      });
    case 'pools': {
      const pools = memory(miner).pools.filter((p) => p.url !== '');
      return JSON.stringify({ STATUS: status(7, `${pools.length} Pool(s)`), POOLS: poolRows('bmminer', miner, s, pools), id: 1 });
    }
    default:
      // bmminer rejects joined commands (`summary+stats`) and anything unknown alike.
      return JSON.stringify({ STATUS: status(14, 'Invalid command', 'E'), id: 1 });
  }
}

function challenge(miner: EmulatedMiner, stale = false): HttpReply {
  const m = memory(miner);
  const nonce = randomBytes(16).toString('hex');
  m.nonces.push(nonce);
  if (m.nonces.length > MAX_NONCES) m.nonces.shift();
  return {
    status: 401,
    headers: {
      'www-authenticate': `Digest realm="${REALM}", nonce="${nonce}", qop="auth"${stale ? ', stale=true' : ''}`,
      'content-type': 'text/html',
    },
    body: '<html><body><h1>401 Unauthorized</h1></body></html>',
  };
}

/** Checks an RFC 7616 digest (MD5, qop=auth or RFC 2069 without qop) against the miner's own login. */
function authorized(miner: EmulatedMiner, req: HttpRequestLike): 'ok' | 'missing' | 'stale' | 'bad' {
  const header = req.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^digest\s/i.test(value)) return 'missing';
  const f: Record<string, string> = {};
  for (const m of value.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) f[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  if (f.realm !== REALM || f.uri !== req.url || !f.response || !f.nonce) return 'bad';
  const { username, password } = miner.credentials;
  if (f.username !== username) return 'bad';
  if (!memory(miner).nonces.includes(f.nonce)) return 'stale';
  const ha1 = md5(`${username}:${REALM}:${password}`);
  const ha2 = md5(`${req.method}:${req.url}`);
  const expected = f.qop === 'auth' ? md5(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${ha2}`) : md5(`${ha1}:${f.nonce}:${ha2}`);
  return expected === f.response ? 'ok' : 'bad';
}

const json = (body: unknown): HttpReply => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function minerConf(miner: EmulatedMiner): Record<string, unknown> {
  const m = memory(miner);
  return {
    pools: m.pools, 'api-listen': true, 'api-network': true, 'api-groups': 'A:stats:pools:devs:summary:version', 'api-allow': 'A:0/0,W:*',
    'bitmain-fan-ctrl': false, 'bitmain-fan-pwm': '100', 'bitmain-use-vil': true, 'bitmain-freq': '675', 'bitmain-voltage': '1400',
    'bitmain-ccdelay': '0', 'bitmain-pwth': '0', 'bitmain-work-mode': m.workMode, 'bitmain-freq-level': '100',
  };
}

function setMinerConf(miner: EmulatedMiner, body: Buffer): HttpReply {
  let conf: Record<string, unknown>;
  try {
    conf = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return json({ stats: 'error', code: 'M001', msg: 'Invalid JSON!' });
  }
  const raw = conf['miner-mode'];
  const mode = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (![0, 1, 2, 3].includes(mode)) return json({ stats: 'error', code: 'M002', msg: `Invalid miner-mode: ${String(raw)}` });
  const m = memory(miner);
  if (Array.isArray(conf.pools)) m.pools = conf.pools as AntminerMemory['pools'];
  m.workMode = String(mode);
  if (mode === 1) miner.requestSleep();
  else miner.requestWake();
  return json({ stats: 'success', code: 'M000', msg: 'OK!' });
}

/** /cgi-bin/get_system_info.cgi: model, network identity and firmware build, as the web UI's status page reads it. */
function systemInfo(miner: EmulatedMiner): Record<string, unknown> {
  return {
    minertype: miner.spec.model, nettype: 'DHCP', netdevice: 'eth0', macaddr: miner.mac, hostname: 'Antminer', ipaddress: miner.host,
    netmask: '255.255.255.0', gateway: '', dnsservers: '', system_mode: 'GNU/Linux', system_kernel_version: 'Linux 4.6.0-xilinx #1 SMP PREEMPT',
    system_filesystem_version: COMPILE_TIME, firmware_type: 'Release', serinum: miner.serial,
  };
}

/** /cgi-bin/summary.cgi: the web UI's summary, with the per-subsystem status list clients show as messages. */
function webSummary(miner: EmulatedMiner, s: MinerSnapshot): Record<string, unknown> {
  const ghs = round2(s.hashrateThs * 1000);
  const sleeping = memory(miner).workMode === '1';
  const item = (type: string, ok: boolean, msg = '') => ({ type, status: ok ? 's' : 'w', code: ok ? 0 : 1, msg });
  return {
    STATUS: { STATUS: 'S', when: Math.floor(s.now / 1000), Msg: 'summary', api_version: '1.0.0' },
    INFO: { miner_version: MINER_VERSION, CompileTime: COMPILE_TIME, type: miner.spec.model },
    SUMMARY: [{
      elapsed: s.uptimeS, rate_5s: ghs, rate_30m: ghs, rate_avg: ghs, rate_ideal: round2(miner.spec.nominalThs * 1000), rate_unit: 'GH/s',
      hw_all: Math.floor(s.uptimeS / 90), bestshare: shareCounts(s).difficulty * 3,
      status: [item('rate', !sleeping && s.hashrateThs > 0, sleeping ? 'sleep mode' : ''), item('network', true), item('fans', true), item('temp', true)],
    }],
  };
}

async function http(miner: EmulatedMiner, req: HttpRequestLike): Promise<HttpReply> {
  const auth = authorized(miner, req);
  if (auth !== 'ok') return challenge(miner, auth === 'stale');
  const path = req.url.split('?')[0];
  if (path === '/cgi-bin/get_miner_conf.cgi' && req.method === 'GET') return json(minerConf(miner));
  if (path === '/cgi-bin/set_miner_conf.cgi' && req.method === 'POST') return setMinerConf(miner, req.body);
  if (path === '/cgi-bin/get_system_info.cgi') return json(systemInfo(miner));
  if (path === '/cgi-bin/stats.cgi') return json(newApiStats(miner, miner.snapshot()));
  if (path === '/cgi-bin/summary.cgi') return json(webSummary(miner, miner.snapshot()));
  return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>404 Not Found</body></html>' };
}

export const antminerPersonality: Personality = { firmware: 'antminer', cgminer, http };
