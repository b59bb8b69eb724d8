import { SingleBar, Presets } from 'cli-progress';
import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { identifyMiner } from '../drivers/miners/detect.js';
import { expandRanges, mapWithConcurrency } from '../drivers/miners/cidr.js';
import { createMinerDriver } from '../drivers/miners/registry.js';
import type { FirmwareName } from '../drivers/miners/miner-driver.js';
import { modelLabel, parsePort, parseTimeout } from './probe-command.js';
import { endpointWithLogin, LOGIN_HELP, LOGIN_OPTIONS, readCliLogins } from './cli-logins.js';

const HELP = `Usage: hashwatt scan <cidr…> [options]

Finds miners in address ranges and identifies them by what they answer
(firmware, model, state, power, hashrate). Ranges: 10.0.0.0/24, 10.0.0.5, or
10.0.0.5-40; every address of a range is asked, its first and last too
(a miner may sit on a /24's .0 when the site's subnet is larger).

Options:
  --concurrency <n>   hosts probed at once (default 64)
  --port <n>          cgminer API port (default 4028)
  --http-port <n>     web/REST port (default 80)
  --v3-port <n>       Whatsminer API v3 port (default 4433)
  --timeout <ms>      deadline per request (default 1500)
${LOGIN_HELP}
  --json              one JSON line per host found, then a summary line
  -h, --help          this text

A miner whose login is missing or refused is listed with what it could say
and 'login needed' (which firmware's). A progress bar is drawn on a terminal
only. Exit 0 when the scan ran (even if nothing was found), 2 on bad ranges
or options.
`;

interface Found {
  host: string;
  firmware: FirmwareName | 'unknown';
  model: string;
  state: string;
  powerW: number | null;
  hashrateThs: number;
  /** Set when the firmware's login was missing or refused (the reading is partial). */
  login?: 'missing' | 'refused';
}

export const command: Command = {
  path: ['scan'],
  summary: 'Find and identify miners in address ranges',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      concurrency: { type: 'string' },
      port: { type: 'string' },
      'http-port': { type: 'string' },
      'v3-port': { type: 'string' },
      ...LOGIN_OPTIONS,
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length === 0) throw new AppError('USAGE', "scan needs at least one range, e.g. 'hashwatt scan 10.0.0.0/24'");
    const hosts = expandRanges(positionals);
    const concurrency = parseTimeout(values.concurrency, 64, '--concurrency');
    const port = parsePort(values.port, '--port');
    const httpPort = parsePort(values['http-port'], '--http-port');
    const v3Port = parsePort(values['v3-port'], '--v3-port');
    const logins = readCliLogins(values);
    const timeoutMs = parseTimeout(values.timeout, 1500);

    const bar = process.stderr.isTTY && !values.json ? new SingleBar({ stream: process.stderr, format: 'scan [{bar}] {value}/{total} hosts | {found} found', hideCursor: true }, Presets.shades_classic) : undefined;
    bar?.start(hosts.length, 0, { found: 0 });
    let foundCount = 0;
    let unreachable = 0;
    let unknown = 0;
    let loginNeeded = 0;
    const results = await mapWithConcurrency(hosts, concurrency, async (host): Promise<Found | undefined> => {
      try {
        const id = await identifyMiner(host, { port, httpPort, v3Port, timeoutMs });
        if (!id.firmware) {
          if (id.answered) {
            unknown++;
            return { host, firmware: 'unknown', model: '', state: 'unknown', powerW: null, hashrateThs: 0 };
          }
          unreachable++;
          return undefined;
        }
        const endpoint = endpointWithLogin({
          id: host,
          host,
          ...(port !== undefined ? { port } : {}),
          ...(httpPort !== undefined ? { httpPort } : {}),
          ...(v3Port !== undefined ? { v3Port } : {}),
        }, id.firmware, logins);
        const r = await createMinerDriver(id.firmware, endpoint, { requestTimeoutMs: timeoutMs }).read();
        foundCount++;
        if (r.login) loginNeeded++;
        return { host, firmware: id.firmware, model: modelLabel(r.make, r.model), state: r.state, powerW: r.powerW, hashrateThs: Math.round(r.hashrateThs * 100) / 100, ...(r.login ? { login: r.login.problem } : {}) };
      } finally {
        bar?.increment(1, { found: foundCount });
      }
    });
    bar?.stop();
    const found = results.filter((r): r is Found => r !== undefined);
    const byFirmware: Record<string, number> = {};
    for (const f of found) if (f.firmware !== 'unknown') byFirmware[f.firmware] = (byFirmware[f.firmware] ?? 0) + 1;
    const summary = { scanned: hosts.length, found: foundCount, byFirmware, loginNeeded, unknown, unreachable };
    if (values.json) {
      for (const f of found) process.stdout.write(`${JSON.stringify(f)}\n`);
      process.stdout.write(`${JSON.stringify({ summary })}\n`);
      return EXIT.OK;
    }
    if (found.length > 0) process.stdout.write(`${table(found)}\n\n`);
    const fw = Object.entries(byFirmware).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    const needing = loginNeeded > 0 ? `, ${loginNeeded} need a login (see --login)` : '';
    process.stdout.write(`scanned ${hosts.length} hosts: ${foundCount} miners (${fw})${needing}, ${unknown} unknown devices, ${unreachable} unreachable\n`);
    return EXIT.OK;
  },
};

function table(rows: Found[]): string {
  const head = ['HOST', 'FIRMWARE', 'MODEL', 'STATE', 'POWER W', 'TH/S'];
  const body = rows.map((r) => [r.host, r.firmware, r.model, r.state + (r.login ? ` (${r.firmware} login ${r.login === 'missing' ? 'needed' : 'refused'})` : ''), r.powerW === null ? '—' : String(Math.round(r.powerW)), String(r.hashrateThs)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
