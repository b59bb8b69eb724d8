/**
 * `hashwatt meter read`: one reading from a site meter, for commissioning
 * ("is the preset right, does the gateway answer?") before the agent runs.
 */
import { EXIT, parseCommandArgs, type Command } from '../../../shared/cli/command.js';
import { loadConfigFile } from '../../../shared/config/load-config.js';
import { AppError } from '../../../shared/errors.js';
import { createSilentLogger } from '../../../shared/log/logger.js';
import { AgentConfigSchema } from '../../config/agent-config.js';
import { MeterConfigSchema, type MeterConfig } from './meter-config.js';
import type { MeterReading } from './meter-driver.js';
import { createMeterDriver } from './meter-registry.js';
import { METER_PRESET_NAMES } from './presets.js';

const HELP = `Usage: hashwatt meter read --host <address> --preset <name> [options]
       hashwatt meter read --config <agent.yaml>

Reads the site meter once over Modbus TCP and prints power and imported
energy. Exit 0 when every mapped quantity was read, 1 otherwise (the reason
is printed), 2 for bad usage.

Options:
  --config <path>   use the meter section of an agent config (generic maps too)
  --host <address>  meter or Modbus TCP gateway address
  --port <n>        TCP port (default 502)
  --unit <n>        Modbus unit id (default 1)
  --preset <name>   register map: ${METER_PRESET_NAMES.join(', ')}
  --timeout <ms>    deadline for the whole read (default 2000)
  --json            print the reading as JSON
  -h, --help        show this help`;

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new AppError('USAGE', `${flag} must be an integer, got "${value}"`);
  return n;
}

function configFrom(values: Record<string, string | boolean | undefined>): MeterConfig {
  if (typeof values.config === 'string') {
    const agent = loadConfigFile(values.config, AgentConfigSchema);
    if (!agent.meter) throw new AppError('USAGE', `config file ${values.config} has no meter section`);
    return agent.meter;
  }
  if (typeof values.host !== 'string') throw new AppError('USAGE', 'missing --host <address> or --config <agent.yaml> (see hashwatt meter read --help)');
  const parsed = MeterConfigSchema.safeParse({
    driver: 'modbus-tcp',
    host: values.host,
    port: integer(values.port as string | undefined, '--port'),
    unitId: integer(values.unit as string | undefined, '--unit'),
    preset: values.preset,
    timeoutMs: integer(values.timeout as string | undefined, '--timeout'),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = { unitId: '--unit', timeoutMs: '--timeout' }[String(issue.path[0])] ?? `--${String(issue.path[0])}`;
    throw new AppError('USAGE', `${flag}: ${issue.message}`);
  }
  return parsed.data;
}

export function formatReading(config: MeterConfig, r: MeterReading): string {
  const what = config.preset ?? 'generic map';
  const power = r.powerKw === null ? 'n/a' : `${r.powerKw.toFixed(3)} kW`;
  const energy = r.importKwh === null ? 'n/a' : `${r.importKwh.toFixed(3)} kWh`;
  return `meter ${config.host}:${config.port} (${what}, unit ${config.unitId}): power ${power}, import ${energy}`;
}

export const command: Command = {
  path: ['meter', 'read'],
  summary: 'Read the site meter once (Modbus TCP) and print power and imported energy',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string' },
        unit: { type: 'string' },
        preset: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      },
      false,
    );
    const config = configFrom(values);
    const driver = createMeterDriver(config, { log: createSilentLogger() });
    const reading = await driver.read();
    await driver.stop();
    process.stdout.write(`${values.json ? JSON.stringify(reading) : formatReading(config, reading)}\n`);
    if (reading.error) {
      if (!values.json) process.stderr.write(`hashwatt: ${reading.error}\n`);
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  },
};
