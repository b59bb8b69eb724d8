import { createHash, randomBytes } from 'node:crypto';
import type { EmulatedMiner, HttpReply, HttpRequestLike, MinerSnapshot, Personality } from '../emulated-miner.js';

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
    m = { nonces: [], workMode: '0', pools: [{ url: 'stratum+tcp://pool.example:3333', user: `hashwatt.${miner.id}`, pass: 'x' }] };
    miner.memory.set('antminer', m);
  }
  return m;
}

function status(code: number, msg: string, letter = 'S') {
  return [{ STATUS: letter, When: Math.floor(Date.now() / 1000), Code: code, Msg: msg, Description: DESCRIPTION }];
}

function statsReply(miner: EmulatedMiner, s: MinerSnapshot): Record<string, unknown> {
  const ghs = round2(s.hashrateThs * 1000);
  const detail: Record<string, unknown> = {
    STATS: 0, ID: 'BTM_SOC0', Elapsed: s.uptimeS, Calls: 0, Wait: 0, Max: 0, Min: 99999999,
    'GHS 5s': ghs, 'GHS av': ghs, rate_30m: ghs, Mode: 2, miner_count: s.boardTempsC.length, frequency: 525,
    fan_num: s.fanRpm.length, temp_num: s.boardTempsC.length, rate_unit: 'GH',
    total_rateideal: miner.spec.nominalThs * 1000, 'total rate': ghs, miner_version: '49.0.1.3',
  };
  s.fanRpm.forEach((rpm, i) => (detail[`fan${i + 1}`] = Math.round(rpm)));
  s.boardTempsC.forEach((t, i) => {
    const chip = Math.round(t);
    detail[`temp${i + 1}`] = chip - 5;
    detail[`temp2_${i + 1}`] = chip;
    detail[`temp_pcb${i + 1}`] = [chip - 5, chip - 28, chip - 14, chip - 13].join('-');
    detail[`temp_chip${i + 1}`] = [chip, chip - 23, chip - 9, chip - 8].join('-');
    detail[`chain_rate${i + 1}`] = (ghs / s.boardTempsC.length).toFixed(2);
  });
  return {
    STATUS: status(70, 'CGMiner stats'),
    STATS: [{ BMMiner: '1.0.0', Miner: '49.0.1.3', CompileTime: 'Tue Dec  6 16:12:30 CST 2022', Type: miner.spec.model }, detail],
    id: 1,
  };
}

function cgminer(miner: EmulatedMiner, request: Record<string, unknown>): string {
  const s = miner.snapshot();
  const ghs = round2(s.hashrateThs * 1000);
  switch (request.command) {
    case 'summary':
      return JSON.stringify({
        STATUS: status(11, 'Summary'),
        SUMMARY: [{ Elapsed: s.uptimeS, 'GHS 5s': ghs, 'GHS av': ghs, 'GHS 30m': ghs, Accepted: Math.floor(s.uptimeS / 12), Rejected: 0, 'Hardware Errors': 0, 'Found Blocks': 0 }],
        id: 1,
      });
    case 'stats':
      return JSON.stringify(statsReply(miner, s));
    case 'version':
      return JSON.stringify({
        STATUS: status(22, 'CGMiner versions'),
        VERSION: [{ API: '3.1', BMMiner: '1.0.0', CompileTime: 'Tue Dec  6 16:12:30 CST 2022', Miner: '49.0.1.3', Type: miner.spec.model }],
        id: 1,
      });
    case 'devs':
      return JSON.stringify({
        STATUS: status(9, '1 ASC(s)'),
        DEVS: [{ ASC: 0, Name: 'BTM_SOC', ID: 0, Enabled: 'Y', Status: 'Alive', 'MHS 5s': 0, 'MHS av': 0, 'Device Elapsed': s.uptimeS }],
        id: 1,
      });
    case 'pools':
      return JSON.stringify({
        STATUS: status(7, '1 Pool(s)'),
        POOLS: memory(miner).pools.map((p, i) => ({ POOL: i, URL: p.url, User: p.user, Status: 'Alive', Priority: i, 'Stratum Active': i === 0 })),
        id: 1,
      });
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

async function http(miner: EmulatedMiner, req: HttpRequestLike): Promise<HttpReply> {
  const auth = authorized(miner, req);
  if (auth !== 'ok') return challenge(miner, auth === 'stale');
  const path = req.url.split('?')[0];
  if (path === '/cgi-bin/get_miner_conf.cgi' && req.method === 'GET') return json(minerConf(miner));
  if (path === '/cgi-bin/set_miner_conf.cgi' && req.method === 'POST') return setMinerConf(miner, req.body);
  if (path === '/cgi-bin/get_system_info.cgi') {
    return json({ minertype: miner.spec.model, macaddr: miner.mac, serinum: miner.serial, system_filesystem_version: 'Tue Dec  6 16:12:30 CST 2022' });
  }
  return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>404 Not Found</body></html>' };
}

export const antminerPersonality: Personality = { firmware: 'antminer', cgminer, http };
