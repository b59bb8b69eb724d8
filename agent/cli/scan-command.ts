import { SingleBar, Presets } from 'cli-progress';
import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { identifyMiner } from '../drivers/miners/detect.js';
import { expandRanges, mapWithConcurrency } from '../drivers/miners/cidr.js';
import { createMinerDriver } from '../drivers/miners/registry.js';
import type { FirmwareName } from '../drivers/miners/miner-driver.js';
import { parseTimeout } from './probe-command.js';

const HELP = `Usage: hashwatt scan <cidr…> [options]

Finds miners in address ranges and identifies them (firmware, model, state,
power, hashrate). Ranges: 10.0.0.0/24, 10.0.0.5, or 10.0.0.5-40.

Options:
  --concurrency <n>   hosts probed at once (default 64)
  --port <n>          cgminer API port (default 4028)
  --http-port <n>     web/REST port (default 80)
  --timeout <ms>      deadline per request (default 1500)
  --json              one JSON line per host found, then a summary line

Logins for firmwares that need one (Braiins REST) come from the environment:
HASHWATT_MINER_USER and HASHWATT_MINER_PASSWORD.
  -h, --help          this text

A progress bar is drawn on a terminal only. Exit 0 when the scan ran (even if
nothing was found), 2 on bad ranges or options.
`;

interface Found {
  host: string;
  firmware: FirmwareName | 'unknown';
  model: string;
  state: string;
  powerW: number | null;
  hashrateThs: number;
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
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length === 0) throw new AppError('USAGE', "scan needs at least one range, e.g. 'hashwatt scan 10.0.0.0/24'");
    const hosts = expandRanges(positionals);
    const concurrency = parseTimeout(values.concurrency, 64, '--concurrency');
    const port = values.port === undefined ? undefined : parseTimeout(values.port, 4028, '--port');
    const httpPort = values['http-port'] === undefined ? undefined : parseTimeout(values['http-port'], 80, '--http-port');
    const timeoutMs = parseTimeout(values.timeout, 1500);

    const bar = process.stderr.isTTY && !values.json ? new SingleBar({ stream: process.stderr, format: 'scan [{bar}] {value}/{total} hosts | {found} found', hideCursor: true }, Presets.shades_classic) : undefined;
    bar?.start(hosts.length, 0, { found: 0 });
    let foundCount = 0;
    let unreachable = 0;
    let unknown = 0;
    const results = await mapWithConcurrency(hosts, concurrency, async (host): Promise<Found | undefined> => {
      try {
        const id = await identifyMiner(host, { port, httpPort, timeoutMs });
        if (!id.firmware) {
          if (id.answered) {
            unknown++;
            return { host, firmware: 'unknown', model: '', state: 'unknown', powerW: null, hashrateThs: 0 };
          }
          unreachable++;
          return undefined;
        }
        const endpoint = {
          id: host,
          host,
          ...(port !== undefined ? { port } : {}),
          ...(httpPort !== undefined ? { httpPort } : {}),
          username: process.env.HASHWATT_MINER_USER,
          password: process.env.HASHWATT_MINER_PASSWORD,
        };
        const r = await createMinerDriver(id.firmware, endpoint, { requestTimeoutMs: timeoutMs }).read();
        foundCount++;
        return { host, firmware: id.firmware, model: r.model, state: r.state, powerW: r.powerW, hashrateThs: r.hashrateThs };
      } finally {
        bar?.increment(1, { found: foundCount });
      }
    });
    bar?.stop();
    const found = results.filter((r): r is Found => r !== undefined);
    const byFirmware: Record<string, number> = {};
    for (const f of found) if (f.firmware !== 'unknown') byFirmware[f.firmware] = (byFirmware[f.firmware] ?? 0) + 1;
    const summary = { scanned: hosts.length, found: foundCount, byFirmware, unknown, unreachable };
    if (values.json) {
      for (const f of found) process.stdout.write(`${JSON.stringify(f)}\n`);
      process.stdout.write(`${JSON.stringify({ summary })}\n`);
      return EXIT.OK;
    }
    if (found.length > 0) process.stdout.write(`${table(found)}\n\n`);
    const fw = Object.entries(byFirmware).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    process.stdout.write(`scanned ${hosts.length} hosts: ${foundCount} miners (${fw}), ${unknown} unknown devices, ${unreachable} unreachable\n`);
    return EXIT.OK;
  },
};

function table(rows: Found[]): string {
  const head = ['HOST', 'FIRMWARE', 'MODEL', 'STATE', 'POWER W', 'TH/S'];
  const body = rows.map((r) => [r.host, r.firmware, r.model, r.state, r.powerW === null ? '—' : String(r.powerW), String(r.hashrateThs)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
