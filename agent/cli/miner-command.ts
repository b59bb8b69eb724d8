import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { detectFirmware } from '../drivers/miners/detect.js';
import { mapWithConcurrency, parseHostPort } from '../drivers/miners/cidr.js';
import { createMinerDriver, isFirmwareName } from '../drivers/miners/registry.js';
import { FIRMWARES, type ActionResult, type FirmwareName, type MinerDriver } from '../drivers/miners/miner-driver.js';
import { ASLEEP_MAX_W, DEFAULT_CONFIRM_TIMEOUT_MS } from '../drivers/miners/confirm-action.js';
import { concurrencyWithinOpenFiles } from './open-file-budget.js';
import { parsePort, parseTimeout } from './probe-command.js';
import { endpointWithLogin, LOGIN_HELP, LOGIN_OPTIONS, loginHint, readCliLogins } from './cli-logins.js';

type Action = 'sleep' | 'wake' | 'power-target';

/**
 * Miners acted on at once when --concurrency is not given: 1,000 miners in one
 * wave, so the command takes about one pause or wake ramp (at 16 it took ~63
 * ramps). One socket per miner in flight; capped by the open-file limit. The
 * agent's curtailment batches are the grid-safe path; this is an operator's tool.
 */
export const DEFAULT_CONCURRENCY = 1000;

const COMMON = `Options:
  --firmware <name>        ${FIRMWARES.join(' | ')} (default: detect each miner)
${LOGIN_HELP}
  --concurrency <n>        miners acted on at once (default ${DEFAULT_CONCURRENCY}, fewer if the
                           open-file limit is short); lower it to stagger a large wake
  --timeout <ms>           deadline per request (default 3000)
  --confirm-timeout <ms>   how long to read back before giving up (default ${DEFAULT_CONFIRM_TIMEOUT_MS})
  --http-port <n>          web/REST port when not 80
  --v3-port <n>            Whatsminer API v3 port when not 4433
  --json                   one JSON line per miner, then a summary line
  -h, --help               this text

Every outcome is confirmed by reading the miner back, not from the command's
reply: sleep when it reads sleeping, no hashrate and (if it reports power) at
most ${ASLEEP_MAX_W} W; wake when it hashes above ${ASLEEP_MAX_W} W. A miner that answers
success and keeps hashing is reported 'ignored'.
A mixed fleet takes one login per firmware family, e.g.
  hashwatt miner sleep 10.0.0.11 10.0.0.12 --logins logins.yaml
  hashwatt miner sleep … --login antminer=root:… --login braiins=root:… --login whatsminer=super:…
A refused or missing login is reported naming the firmware and the user
(never the password).
Exit 0 when every miner is confirmed, 1 when any is not, 2 on bad usage.`;

const HELP: Record<Action, string> = {
  sleep: `Usage: hashwatt miner sleep <host[:port]…> [options]\n\nPuts miners to sleep (hashboards off, control board on) and waits until each reports sleeping.\n\n${COMMON}\n`,
  wake: `Usage: hashwatt miner wake <host[:port]…> [options]\n\nWakes sleeping miners and waits until each hashes again.\n\n${COMMON}\n`,
  'power-target': `Usage: hashwatt miner power-target <host[:port]…> <watts> [options]\n\nSets a power target (LuxOS picks the nearest profile at or under it) and waits until\nthe measured power settles at or below it.\n\n${COMMON}\n`,
};

interface Outcome {
  host: string;
  firmware: FirmwareName | 'unknown';
  result: ActionResult;
}

function makeCommand(action: Action, summary: string): Command {
  return {
    path: ['miner', action],
    summary,
    help: HELP[action],
    async run(argv) {
      const { values, positionals } = parseCommandArgs(argv, {
        firmware: { type: 'string' },
        ...LOGIN_OPTIONS,
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        'confirm-timeout': { type: 'string' },
        'http-port': { type: 'string' },
        'v3-port': { type: 'string' },
        json: { type: 'boolean' },
      });
      const args = [...positionals];
      let watts = 0;
      if (action === 'power-target') {
        const last = args.pop();
        watts = Number(last);
        if (last === undefined || !Number.isFinite(watts) || watts <= 0) throw new AppError('USAGE', `power-target needs <watts> last, a positive number; got '${last ?? ''}'`);
      }
      if (args.length === 0) throw new AppError('USAGE', `miner ${action} needs at least one <host[:port]>. See 'hashwatt miner ${action} --help'.`);
      const targets = args.map(parseHostPort);
      const pinned = values.firmware;
      if (pinned !== undefined && !isFirmwareName(pinned)) throw new AppError('USAGE', `--firmware must be one of ${FIRMWARES.join(', ')}, got '${pinned}'`);
      const timeoutMs = parseTimeout(values.timeout, 3000);
      const confirmTimeoutMs = parseTimeout(values['confirm-timeout'], DEFAULT_CONFIRM_TIMEOUT_MS, '--confirm-timeout');
      const wanted = parseTimeout(values.concurrency, DEFAULT_CONCURRENCY, '--concurrency');
      const { concurrency, softLimit } = concurrencyWithinOpenFiles(Math.min(wanted, targets.length));
      if (softLimit !== undefined) {
        process.stderr.write(`hashwatt: this process may open ${softLimit} files, enough for ${concurrency} miners at once (not ${Math.min(wanted, targets.length)}); raise 'ulimit -n' to act on more together\n`);
      }
      const httpPort = parsePort(values['http-port'], '--http-port');
      const v3Port = parsePort(values['v3-port'], '--v3-port');
      const logins = readCliLogins(values);

      const outcomes = await mapWithConcurrency(targets, concurrency, async ({ host, port }): Promise<Outcome> => {
        const label = port ? `${host}:${port}` : host;
        const started = Date.now();
        const firmware = pinned ?? (await detectFirmware(host, { port, httpPort, v3Port, timeoutMs }));
        if (!firmware || !isFirmwareName(firmware)) {
          const unknown: Outcome = { host: label, firmware: 'unknown', result: { ok: false, reason: 'unreachable', message: 'could not identify the firmware (unreachable or not a known miner; try --firmware)', elapsedMs: Date.now() - started } };
          process.stdout.write(values.json ? `${JSON.stringify(unknown)}\n` : `${formatOutcome(unknown)}\n`);
          return unknown;
        }
        const endpoint = endpointWithLogin({ id: label, host, ...(port ? { port } : {}), ...(httpPort ? { httpPort } : {}), ...(v3Port ? { v3Port } : {}) }, firmware, logins);
        const driver: MinerDriver = createMinerDriver(firmware, endpoint, { requestTimeoutMs: timeoutMs });
        const options = { confirmTimeoutMs };
        let result = action === 'sleep' ? await driver.sleep(options) : action === 'wake' ? await driver.wake(options) : await driver.setPowerTarget(watts, options);
        // "401" or "invalid token" alone does not say which login to fix.
        if (!result.ok && result.reason === 'auth_failed') result = { ...result, message: `${result.message} — ${loginHint(firmware, endpoint)}` };
        const outcome = { host: label, firmware, result };
        if (values.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
        else process.stdout.write(`${formatOutcome(outcome)}\n`);
        return outcome;
      });
      const confirmed = outcomes.filter((o) => o.result.ok).length;
      const reasons: Record<string, number> = {};
      for (const o of outcomes) if (!o.result.ok) reasons[o.result.reason] = (reasons[o.result.reason] ?? 0) + 1;
      if (values.json) process.stdout.write(`${JSON.stringify({ summary: { action, miners: outcomes.length, confirmed, notConfirmed: outcomes.length - confirmed, reasons } })}\n`);
      else {
        const why = Object.entries(reasons).map(([k, v]) => `${v} ${k}`).join(', ');
        process.stdout.write(`\n${action}: ${confirmed}/${outcomes.length} confirmed${why ? `; not confirmed: ${why}` : ''}\n`);
      }
      return confirmed === outcomes.length ? EXIT.OK : EXIT.FAILURE;
    },
  };
}

function formatOutcome(o: Outcome): string {
  const r = o.result;
  const seconds = `${(r.elapsedMs / 1000).toFixed(1)} s`;
  if (r.ok) return `${o.host.padEnd(21)} ${o.firmware.padEnd(10)} confirmed      ${r.observedState}, ${r.observedPowerW ?? '?'} W (${seconds})`;
  return `${o.host.padEnd(21)} ${o.firmware.padEnd(10)} NOT CONFIRMED  ${r.reason}: ${r.message} (${seconds})`;
}

export const sleepCommand = makeCommand('sleep', 'Put miners to sleep and confirm it from read-back');
export const wakeCommand = makeCommand('wake', 'Wake miners and confirm they hash again');
export const powerTargetCommand = makeCommand('power-target', 'Set a power target on miners and confirm the power settles');
