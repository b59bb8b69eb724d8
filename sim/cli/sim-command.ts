import { writeFile } from 'node:fs/promises';
import { addLoginFlag, type CliLogins } from '../../agent/drivers/miners/logins.js';
import { FIRMWARES } from '../../agent/drivers/miners/miner-driver.js';
import { METER_PRESET_NAMES, type MeterPresetName } from '../../agent/drivers/meters/presets.js';
import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log/logger.js';
import { startAdminServer, type AdminServer } from '../admin-server.js';
import { startFleet, type FleetOptions } from '../fleet/fleet.js';
import { DEFAULT_MIX, parseFaultRates, parseMix } from '../fleet/fleet-spec.js';
import { startModbusMeterServer, type MeterServer } from '../meter/meter-server.js';

const HELP = `Usage: hashwatt sim [options]

Emulates a site of Bitmain, LuxOS, Braiins OS and Whatsminer miners speaking
their real APIs on loopback, plus an optional Modbus TCP site meter and an
admin endpoint with the ground truth. Runs until SIGINT/SIGTERM.

Options:
  --miners N            number of miners (default 100)
  --mix SPEC            firmware weights (default antminer:40,luxos:20,braiins:20,whatsminer:20)
  --bind CIDR           one loopback address per miner at the real ports
                        (4028 cgminer API, 4433 Whatsminer v3, 80 HTTP) (default 127.1.0.0/16)
  --http-port N         with --bind: serve HTTP here instead of 80 (80 needs root)
  --port-base N         instead of --bind: all miners on --host, miner i on ports
                        N+3i (cgminer), N+3i+1 (v3), N+3i+2 (HTTP)
  --host ADDR           address for --port-base mode (default 127.0.0.1)
  --time-factor X       scale pause (≈6 s) and wake (≈10 s) delays (default 1)
  --faults SPEC         percent of miners per fault, e.g. hung:1,garbage:0.5,refuse:1,slow:2,ignore-sleep:5
  --slow-ms N           how late a 'slow' miner answers (default 3000)
  --seed N              layout, models and faults are reproducible per seed (default 1)
  --overhead-kw X       cooling, lighting etc. on top of the miners (default 0)
  --meter-port N        serve a Modbus TCP meter on 127.0.0.1:N (0 = any free port)
  --meter-preset NAME   ${METER_PRESET_NAMES.join(' | ')} (default eastron-sdm630)
  --admin-port N        ground truth + fault injection over HTTP on 127.0.0.1:N
  --username U          login on every miner (default: each firmware's factory login)
  --password P
  --login FW=USER:PW    one firmware family's login instead (antminer, luxos, braiins,
                        whatsminer; the Whatsminer v3 account is 'super'); repeatable
  --endpoints FILE      write the miners' endpoints (id, host, ports, firmware, login) as JSON

Each listening port is one file descriptor: 10,000 miners need ~18,000; the
emulator raises its limit when it may, else says what to set (ulimit -n).
`;

function number(name: string, value: string | undefined, fallback: number, min = Number.NEGATIVE_INFINITY): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new AppError('USAGE', `--${name}: expected a number${min > Number.NEGATIVE_INFINITY ? ` ≥ ${min}` : ''}, got '${value}'`);
  return n;
}

/** `--login braiins=root:secret` flags → a login per family (a host key makes no sense for a whole emulated site). */
function familyLogins(flags: string[]): NonNullable<FleetOptions['credentialsByFirmware']> {
  const logins = flags.reduce<CliLogins>((acc, flag) => addLoginFlag(acc, flag), {});
  if (logins.miners) throw new AppError('USAGE', `--login: the emulator takes a login per firmware family (${Object.keys(logins.miners).join(', ')} is not one)`);
  const out: NonNullable<FleetOptions['credentialsByFirmware']> = {};
  for (const fw of FIRMWARES) {
    const l = logins[fw];
    if (l) out[fw] = { username: l.username ?? '', password: l.password ?? '' };
  }
  return out;
}

export const command: Command = {
  path: ['sim'],
  summary: 'Emulate a fleet of miners (real miner APIs on loopback), a site meter and ground truth',
  help: HELP,
  async run(argv) {
    const s = { type: 'string' } as const;
    const { values: v } = parseCommandArgs(argv, {
      miners: s, mix: s, bind: s, 'http-port': s, 'port-base': s, host: s, 'time-factor': s, faults: s, 'slow-ms': s, seed: s,
      'overhead-kw': s, 'meter-port': s, 'meter-preset': s, 'admin-port': s, username: s, password: s, endpoints: s, login: { type: 'string', multiple: true },
    }, false);
    const preset = (v['meter-preset'] ?? 'eastron-sdm630') as MeterPresetName;
    if (!METER_PRESET_NAMES.includes(preset)) throw new AppError('USAGE', `--meter-preset: unknown '${preset}' (known: ${METER_PRESET_NAMES.join(', ')})`);
    if ((v.username === undefined) !== (v.password === undefined)) throw new AppError('USAGE', '--username and --password go together');
    const portMode = v['port-base'] !== undefined;
    if (portMode && v.bind !== undefined) throw new AppError('USAGE', 'choose either --bind or --port-base, not both');
    const options: FleetOptions = {
      miners: number('miners', v.miners, 100, 1),
      mix: v.mix ? parseMix(v.mix) : DEFAULT_MIX,
      timeFactor: number('time-factor', v['time-factor'], 1, 0.0001),
      faults: v.faults ? parseFaultRates(v.faults) : {},
      slowDelayMs: number('slow-ms', v['slow-ms'], 3000, 0),
      seed: number('seed', v.seed, 1),
      overheadKw: number('overhead-kw', v['overhead-kw'], 0, 0),
      log: createLogger({ name: 'hashwatt-sim', level: process.env.HASHWATT_LOG_LEVEL ?? 'warn' }),
      ...(v.username !== undefined && v.password !== undefined ? { credentials: { username: v.username, password: v.password } } : {}),
      ...(v.login?.length ? { credentialsByFirmware: familyLogins(v.login) } : {}),
      ...(portMode
        ? { portBase: number('port-base', v['port-base'], 0, 0), host: v.host ?? '127.0.0.1' }
        : { bind: v.bind ?? '127.1.0.0/16', ...(v['http-port'] ? { ports: { http: number('http-port', v['http-port'], 80, 1) } } : {}) }),
    };

    const fleet = await startFleet(options);
    let meter: MeterServer | undefined;
    let admin: AdminServer | undefined;
    const stopAll = async () => {
      await Promise.allSettled([meter?.stop(), admin?.stop()]);
      await fleet.stop();
    };
    try {
      if (v['meter-port'] !== undefined) {
        meter = await startModbusMeterServer({
          port: number('meter-port', v['meter-port'], 0, 0),
          preset,
          readPowerW: () => fleet.totalPowerW(),
          readImportKwh: () => fleet.importKwh(),
        });
      }
      if (v['admin-port'] !== undefined) admin = await startAdminServer({ fleet, port: number('admin-port', v['admin-port'], 0, 0) });
      const endpoints = fleet.endpoints();
      if (v.endpoints) await writeFile(v.endpoints, `${JSON.stringify(endpoints, null, 2)}\n`);

      const counts = new Map<string, number>();
      for (const m of fleet.miners) counts.set(m.firmware, (counts.get(m.firmware) ?? 0) + 1);
      const first = endpoints[0];
      const last = endpoints[endpoints.length - 1];
      const site = fleet.site();
      const out = [
        `hashwatt sim: ${fleet.miners.length} miners (${[...counts].map(([f, n]) => `${f} ${n}`).join(', ')})`,
        portMode
          ? `  miners   ${first?.host} ports ${first?.port}…${(last?.port ?? 0) + 2} (3 per miner: cgminer, v3, HTTP)`
          : `  miners   ${first?.host} … ${last?.host}  (cgminer :${options.ports?.cgminer ?? 4028}, Whatsminer v3 :4433, HTTP :${options.ports?.http ?? 80})`,
        `  faulty   ${fleet.miners.filter((m) => Object.values(m.faults).some(Boolean)).length} miners (${v.faults ?? 'none'})`,
        `  power    ${(site.minerPowerW / 1000).toFixed(1)} kW miners + ${(site.overheadW / 1000).toFixed(1)} kW overhead`,
        meter ? `  meter    modbus tcp ${meter.host}:${meter.port} unit 1 (${preset})` : undefined,
        admin ? `  admin    ${admin.url}  (GET /miners, /site, /healthz; POST /faults)` : undefined,
        v.endpoints ? `  endpoints written to ${v.endpoints}` : undefined,
        '  Ctrl-C to stop',
      ];
      process.stdout.write(`${out.filter(Boolean).join('\n')}\n`);
    } catch (err) {
      await stopAll();
      throw err;
    }

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stdout.write(`hashwatt sim: ${signal}, stopping\n`);
    await stopAll();
    return EXIT.OK;
  },
};
