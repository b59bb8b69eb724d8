import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { createLogger } from '../../shared/log/logger.js';
import { AgentConfigSchema } from '../config/agent-config.js';
import { createAgent } from '../main.js';

const HELP = `Usage: hashwatt agent --config <agent.yaml> [--log-level <level>]

Runs the edge agent: polls the site's miners and meter, reports telemetry to
the collector through the MQTT broker (stored in <dataDir>/agent.db first, so
nothing is lost while the broker is away) and carries out signed curtailment
controls. Stops cleanly on SIGTERM or SIGINT; a restart resumes any
curtailment in force.

Options:
  --config <path>      agent config file (see deploy/examples/agent.yaml)
  --log-level <level>  trace, debug, info (default), warn, error
  -h, --help           show this help

Environment:
  HASHWATT_SIGNER=openssl  verify controls with node:crypto instead of libsodium
                           (sodium-native; used when its addon loads)

See also: hashwatt agent status --config <agent.yaml>`;

export const command: Command = {
  path: ['agent'],
  summary: 'Run the edge agent (poll miners and meter, report, curtail)',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' } }, false);
    if (!values.config) throw new AppError('USAGE', 'missing --config <agent.yaml> (see hashwatt agent --help)');
    const config = loadConfigFile(values.config, AgentConfigSchema);
    const level = values['log-level'] ?? config.logLevel;
    const log = createLogger({ name: 'hashwatt-agent', ...(level ? { level } : {}) });
    const agent = createAgent({ config, log });
    let stopping: Promise<void> | undefined;
    const done = new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        log.info({ signal }, 'stopping');
        stopping ??= agent.stop().then(resolve, (err: Error) => {
          log.error({ err }, 'stop failed');
          resolve();
        });
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    });
    await agent.start();
    await done;
    return EXIT.OK;
  },
};
