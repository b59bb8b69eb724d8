import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { AppError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log/logger.js';
import { CollectorConfigSchema } from '../config/collector-config.js';
import { createCollector } from '../main.js';
import { registerDashboard } from '../dashboard/serve-dashboard.js';

const HELP = `Usage: hashwatt collector --config FILE

Run the collector: ingest telemetry from every site's agent over MQTT into
its store (SQLite in dataDir, or PostgreSQL with store: { kind: postgres,
url }), judge compliance against allocations, plan and publish signed
curtailment controls, and serve the HTTP API (/api/v1, /metrics, /healthz).

Without broker.url in the config an embedded MQTT broker is started
(127.0.0.1:1883 unless embeddedBroker says otherwise).
Several collectors on one PostgreSQL store choose one leader through it
(cluster: in the config) for what must happen once, and with
ingest.shareGroup split the ingest through MQTT shared subscriptions
(docs/protocol.md#several-collectors, docs/architecture.md).

Options:
  --config FILE   collector YAML (see deploy/examples/collector.yaml);
                  HASHWATT_* variables override fields (HASHWATT_HTTP__PORT=8081)
  -h, --help      show this help

Environment:
  HASHWATT_LOG_LEVEL       trace … fatal (default info)
  HASHWATT_SIGNER=openssl  sign controls with node:crypto instead of libsodium
                           (sodium-native; used when its addon loads)

Related: hashwatt collector backup <file> --config FILE
         hashwatt collector migrate-store --config FILE --to postgres://… (SQLite to PostgreSQL)
         hashwatt users list|add|set|token … --config FILE (named users, tokens)

Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 failure, 2 bad usage or config.`;

export const command: Command = {
  path: ['collector'],
  summary: 'Run the collector (ingest, store, compliance, curtailment, HTTP API)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string', short: 'c' } });
    if (positionals.length > 0) throw new AppError('USAGE', `unexpected argument "${positionals[0]}" (did you mean "collector backup"?)`);
    if (!values.config) throw new AppError('USAGE', 'collector needs --config FILE');
    const config = loadConfigFile(values.config, CollectorConfigSchema);
    const log = createLogger({ name: 'collector' });
    // The operator dashboard at / (static files + uPlot; it reads only /api/v1 and the stream).
    const collector = createCollector({ config, log, extendHttp: (app) => registerDashboard(app, { tokens: config.tokens }) });
    await collector.start();
    process.stdout.write(`collector: API ${collector.httpUrl}/api/v1, broker ${collector.brokerUrl}\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info({ signal }, 'stopping');
        collector.stop().then(resolve, (err: unknown) => {
          log.error({ err }, 'stop failed');
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return EXIT.OK;
  },
};
