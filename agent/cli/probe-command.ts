import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { identifyMiner } from '../drivers/miners/detect.js';
import { parseHostPort } from '../drivers/miners/cidr.js';
import { createMinerDriver, isFirmwareName } from '../drivers/miners/registry.js';
import { FIRMWARES, type MinerCapabilities, type MinerReading } from '../drivers/miners/miner-driver.js';
import { endpointWithLogin, LOGIN_HELP, LOGIN_OPTIONS, loginAdvice, readCliLogins } from './cli-logins.js';

const HELP = `Usage: hashwatt probe <host[:port]> [options]

Reads one miner and prints its normalized reading (state, power, hashrate,
efficiency, temperature, fans, and the power target in force as the miner reads
it back, or that its firmware takes none). The firmware is detected unless
--firmware is given.

Options:
  --firmware <name>   ${FIRMWARES.join(' | ')} (skip detection)
  --timeout <ms>      deadline per request to the miner (default 3000)
  --port <n>          cgminer API port when not 4028 (same as host:port)
  --http-port <n>     web/REST port when not 80
  --v3-port <n>       Whatsminer API v3 port when not 4433
${LOGIN_HELP}
  --json              print the reading as one JSON object
  -h, --help          this text

Exit codes: 0 reachable and parsed, 1 read only in part because a login
was missing or refused (which one is printed), 2 unreachable (or bad usage),
3 unsupported or unparseable (the reason is printed).
`;

/** An optional port flag: 1–65535 or a usage error naming the flag. */
export function parsePort(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new AppError('USAGE', `${flag} must be a port number 1–65535, got '${value}'`);
  return n;
}

export function parseTimeout(value: string | undefined, fallback: number, flag = '--timeout'): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new AppError('USAGE', `${flag} must be a positive number of milliseconds, got '${value}'`);
  return n;
}

/** "Antminer" + "Antminer S19j Pro" is one name, not two; an unknown make and model is "unknown". */
export function modelLabel(make: string, model: string): string {
  const known = (s: string) => (s && s !== 'unknown' ? s : '');
  const m = known(model);
  const k = known(make);
  if (!m) return k ? `${k} (model unknown)` : 'unknown';
  return k && !m.toLowerCase().startsWith(k.toLowerCase()) ? `${k} ${m}` : m;
}

/** At most `digits` decimals, without trailing zeros: 22.996191282268303 → "23", 104.25 → "104.25". */
function fixed(value: number, digits: number): string {
  return String(Math.round(value * 10 ** digits) / 10 ** digits);
}

/** The power target line: what the miner reads back, or why there is none (`powerTarget`: the driver's capability). */
export function powerTargetLine(r: MinerReading, powerTarget?: MinerCapabilities['powerTarget']): string | undefined {
  if (r.powerTargetW !== undefined) {
    const range = powerTarget && (powerTarget.minW !== undefined || powerTarget.maxW !== undefined) ? ` (settable ${powerTarget.minW ?? '?'}–${powerTarget.maxW ?? '?'} W)` : '';
    return `${r.powerTargetW} W${range}`;
  }
  if (powerTarget === false) return 'not supported by this firmware (curtailment puts it to sleep)';
  if (powerTarget) return 'not reported';
  return undefined;
}

export function formatReading(r: MinerReading, powerTarget?: MinerCapabilities['powerTarget']): string {
  const rows: Array<[string, string]> = [
    ['miner', r.id === r.host ? r.host : `${r.host} (${r.id})`],
    ['firmware', `${r.firmware} ${r.firmwareVersion}`.trim()],
    ['model', modelLabel(r.make, r.model)],
    ['state', r.state + (r.error ? ` — ${r.error}` : '')],
    ['power', r.powerW === null ? 'unknown' : `${fixed(r.powerW, 0)} W (${r.powerSource})`],
    ['hashrate', `${fixed(r.hashrateThs, 2)} TH/s${r.nominalThs ? ` of ${fixed(r.nominalThs, 2)} nominal` : ''}`],
    ['efficiency', r.efficiencyJth === null ? '—' : `${fixed(r.efficiencyJth, 1)} J/TH`],
    ['max temp', r.maxTempC === null ? '—' : `${fixed(r.maxTempC, 1)} °C`],
    ['fans', r.fanRpm.length ? `${r.fanRpm.join(', ')} rpm` : '—'],
    ['uptime', r.uptimeS === null ? '—' : `${r.uptimeS} s`],
  ];
  const target = powerTargetLine(r, powerTarget);
  if (target !== undefined) rows.push(['power target', target]);
  if (r.login) rows.push(['login', `${r.login.problem}: ${r.login.message}`]);
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
      port: { type: 'string' },
      'http-port': { type: 'string' },
      'v3-port': { type: 'string' },
      ...LOGIN_OPTIONS,
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new AppError('USAGE', `probe takes exactly one <host[:port]>, got ${positionals.length}. See 'hashwatt probe --help'.`);
    const target = parseHostPort(positionals[0]!);
    const host = target.host;
    if (target.port !== undefined && values.port !== undefined) throw new AppError('USAGE', `give the cgminer port once: '${positionals[0]!}' or --port, not both`);
    const port = target.port ?? parsePort(values.port, '--port');
    const timeoutMs = parseTimeout(values.timeout, 3000);
    const httpPort = parsePort(values['http-port'], '--http-port');
    const v3Port = parsePort(values['v3-port'], '--v3-port');
    const logins = readCliLogins(values);
    let firmware = values.firmware;
    if (firmware !== undefined && !isFirmwareName(firmware)) throw new AppError('USAGE', `--firmware must be one of ${FIRMWARES.join(', ')}, got '${firmware}'`);
    if (firmware === undefined) {
      const id = await identifyMiner(host, { port, httpPort, v3Port, timeoutMs });
      if (!id.firmware) {
        const reason = id.answered ? 'it answered, but not as a known miner firmware (try --firmware)' : 'nothing answered on the miner API ports';
        return fail(values.json, host, id.answered ? EXIT.UNSUPPORTED : EXIT.USAGE, reason);
      }
      firmware = id.firmware;
    }
    if (!isFirmwareName(firmware)) throw new AppError('INTERNAL', 'unreachable');
    const label = port !== undefined ? `${host}:${port}` : host;
    const endpoint = endpointWithLogin({
      id: label,
      host,
      ...(port !== undefined ? { port } : {}),
      ...(httpPort !== undefined ? { httpPort } : {}),
      ...(v3Port !== undefined ? { v3Port } : {}),
    }, firmware, logins);
    const driver = createMinerDriver(firmware, endpoint, { requestTimeoutMs: timeoutMs });
    const reading = await driver.read();
    const powerTarget = driver.capabilities().powerTarget;
    if (values.json) process.stdout.write(`${JSON.stringify({ ...reading, powerTargetSupported: powerTarget !== false })}\n`);
    else process.stdout.write(`${formatReading(reading, reading.state === 'offline' ? undefined : powerTarget)}\n`);
    if (reading.state === 'offline') {
      if (!values.json) process.stderr.write(`hashwatt probe: ${host} unreachable: ${reading.error ?? ''}\n`);
      return EXIT.USAGE;
    }
    if (reading.state === 'error') {
      if (!values.json) process.stderr.write(`hashwatt probe: ${host} answered but could not be read: ${reading.error ?? ''}\n`);
      return EXIT.UNSUPPORTED;
    }
    if (reading.login) {
      process.stderr.write(`hashwatt probe: ${label}: ${reading.login.message}\n  ${loginAdvice(firmware, endpoint)}\n`);
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  },
};

function fail(json: boolean | undefined, host: string, code: number, reason: string): number {
  if (json) process.stdout.write(`${JSON.stringify({ host, error: reason, state: code === EXIT.USAGE ? 'offline' : 'unknown' })}\n`);
  process.stderr.write(`hashwatt probe: ${host}: ${reason}\n`);
  return code;
}
