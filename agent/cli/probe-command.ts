import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { identifyMiner } from '../drivers/miners/detect.js';
import { parseHostPort } from '../drivers/miners/cidr.js';
import { createMinerDriver, isFirmwareName } from '../drivers/miners/registry.js';
import { FIRMWARES, type MinerReading } from '../drivers/miners/miner-driver.js';

const HELP = `Usage: hashwatt probe <host[:port]> [options]

Reads one miner and prints its normalized reading (state, power, hashrate,
efficiency, temperature, fans). The firmware is detected unless --firmware is given.

Options:
  --firmware <name>   ${FIRMWARES.join(' | ')} (skip detection)
  --timeout <ms>      deadline per request to the miner (default 3000)
  --http-port <n>     web/REST port when not 80
  --user <name>       login for firmwares that need one (env HASHWATT_MINER_USER)
  --password <pw>     password (env HASHWATT_MINER_PASSWORD)
  --json              print the reading as one JSON object
  -h, --help          this text

Exit codes: 0 reachable and parsed, 2 unreachable (or bad usage),
3 unsupported or unparseable (the reason is printed).
`;

export function parseTimeout(value: string | undefined, fallback: number, flag = '--timeout'): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new AppError('USAGE', `${flag} must be a positive number of milliseconds, got '${value}'`);
  return n;
}

export function formatReading(r: MinerReading): string {
  const rows: Array<[string, string]> = [
    ['miner', `${r.host} (${r.id})`],
    ['firmware', `${r.firmware} ${r.firmwareVersion}`.trim()],
    ['model', `${r.make} ${r.model}`],
    ['state', r.state + (r.error ? ` — ${r.error}` : '')],
    ['power', r.powerW === null ? 'unknown' : `${r.powerW} W (${r.powerSource})`],
    ['hashrate', `${r.hashrateThs} TH/s${r.nominalThs ? ` of ${r.nominalThs} nominal` : ''}`],
    ['efficiency', r.efficiencyJth === null ? '—' : `${r.efficiencyJth} J/TH`],
    ['max temp', r.maxTempC === null ? '—' : `${r.maxTempC} °C`],
    ['fans', r.fanRpm.length ? `${r.fanRpm.join(', ')} rpm` : '—'],
    ['uptime', r.uptimeS === null ? '—' : `${r.uptimeS} s`],
  ];
  if (r.powerTargetW !== undefined) rows.push(['power target', `${r.powerTargetW} W`]);
  return rows.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n');
}

export const command: Command = {
  path: ['probe'],
  summary: 'Read one miner and print its normalized reading',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      firmware: { type: 'string' },
      timeout: { type: 'string' },
      'http-port': { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new AppError('USAGE', `probe takes exactly one <host[:port]>, got ${positionals.length}. See 'hashwatt probe --help'.`);
    const { host, port } = parseHostPort(positionals[0]!);
    const timeoutMs = parseTimeout(values.timeout, 3000);
    const httpPort = values['http-port'] === undefined ? undefined : parseTimeout(values['http-port'], 80, '--http-port');
    let firmware = values.firmware;
    if (firmware !== undefined && !isFirmwareName(firmware)) throw new AppError('USAGE', `--firmware must be one of ${FIRMWARES.join(', ')}, got '${firmware}'`);
    if (firmware === undefined) {
      const id = await identifyMiner(host, { port, httpPort, timeoutMs });
      if (!id.firmware) {
        const reason = id.answered ? 'it answered, but not as a known miner firmware (try --firmware)' : 'nothing answered on the miner API ports';
        return fail(values.json, host, id.answered ? EXIT.UNSUPPORTED : EXIT.USAGE, reason);
      }
      firmware = id.firmware;
    }
    if (!isFirmwareName(firmware)) throw new AppError('INTERNAL', 'unreachable');
    const endpoint = {
      id: host,
      host,
      ...(port !== undefined ? { port } : {}),
      ...(httpPort !== undefined ? { httpPort } : {}),
      username: values.user ?? process.env.HASHWATT_MINER_USER,
      password: values.password ?? process.env.HASHWATT_MINER_PASSWORD,
    };
    const reading = await createMinerDriver(firmware, endpoint, { requestTimeoutMs: timeoutMs }).read();
    if (values.json) process.stdout.write(`${JSON.stringify(reading)}\n`);
    else process.stdout.write(`${formatReading(reading)}\n`);
    if (reading.state === 'offline') {
      if (!values.json) process.stderr.write(`hashwatt probe: ${host} unreachable: ${reading.error ?? ''}\n`);
      return EXIT.USAGE;
    }
    if (reading.state === 'error') {
      if (!values.json) process.stderr.write(`hashwatt probe: ${host} answered but could not be read: ${reading.error ?? ''}\n`);
      return EXIT.UNSUPPORTED;
    }
    return EXIT.OK;
  },
};

function fail(json: boolean | undefined, host: string, code: number, reason: string): number {
  if (json) process.stdout.write(`${JSON.stringify({ host, error: reason, state: code === EXIT.USAGE ? 'offline' : 'unknown' })}\n`);
  process.stderr.write(`hashwatt probe: ${host}: ${reason}\n`);
  return code;
}
