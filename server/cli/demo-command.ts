import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log/logger.js';
import { demoGuide } from '../demo/demo-guide.js';

const HELP = `Usage: hashwatt demo [options]

Runs the whole system on this machine: the collector (HTTP API, dashboard,
SQLite in --data-dir, or PostgreSQL with --store) on an embedded MQTT broker, an emulated fleet of sites
whose miners speak the real Antminer, LuxOS, Braiins OS and Whatsminer APIs on
loopback, a Modbus TCP meter per site, and one edge agent per site. One site is
unregistered and one draws more than its allocation, so a violation opens by
itself within the first minute. Prints the dashboard address and a sign-in
token per role. Ctrl-C stops everything and leaves the database consistent.

Options:
  --sites N          sites (default 5)
  --miners N         miners over all sites (default 300)
  --http-port N      dashboard and API port (default 8080; a free one if taken)
  --mqtt-port N      embedded broker port (default 1883; a free one if taken)
  --time-factor X    emulated firmware delays, 1 = real (pause ≈ 6 s, wake ≈ 10 s) (default 0.25)
  --data-dir DIR     collector and agent databases, keys, demo tokens (default ./data)
  --store KIND       the collector's store: sqlite (default), postgres (database hashwatt_demo
                     on 127.0.0.1:5432 as user postgres, or HASHWATT_PG_URL; created when
                     missing) or a postgres:// URL (docs/postgres-store.md)
  --openadr-test-vtn also run the built-in OpenADR 3 test VTN; the collector follows it as a
                     VEN, and the VTN publishes a two-interval import limit on the first
                     registered site, shown under Curtailment as an OpenADR event (docs/openadr.md)

Environment:
  MQTT_URL           use this broker (e.g. a Mosquitto) instead of the embedded one
  HASHWATT_LOG_LEVEL log level of the JSON logs on stderr (default warn)
  HASHWATT_PG_URL    the database of --store postgres
`;

function count(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new AppError('USAGE', `--${name}: expected a number ≥ ${min}, got '${text}'`);
  return n;
}

export const command: Command = {
  path: ['demo'],
  summary: 'Run the demo: collector, embedded broker, emulated fleet, dashboard',
  help: HELP,
  async run(argv) {
    const s = { type: 'string' } as const;
    const { values: v } = parseCommandArgs(argv, { sites: s, miners: s, 'http-port': s, 'mqtt-port': s, 'time-factor': s, 'data-dir': s, store: s, 'openadr-test-vtn': { type: 'boolean' } }, false);
    const sites = count('sites', v.sites, 5, 1);
    const miners = count('miners', v.miners, 300, 1);
    const httpPort = count('http-port', v['http-port'], 8080, 0);
    const mqttPort = count('mqtt-port', v['mqtt-port'], 1883, 0);
    const timeFactor = count('time-factor', v['time-factor'], 0.25, 0.001);
    if (httpPort > 65535 || mqttPort > 65535) throw new AppError('USAGE', '--http-port and --mqtt-port must be at most 65535');
    const { demoStore } = await import('../demo/demo-store.js');
    const store = await demoStore(v.store);
    // Logs go to stderr so the guide on stdout stays readable.
    const log = createLogger({ name: 'hashwatt-demo', level: process.env.HASHWATT_LOG_LEVEL ?? 'warn', destination: process.stderr });

    process.stdout.write(`hashwatt demo: starting ${sites} sites with ${miners} emulated miners…\n`);
    const { startDemo } = await import('../demo/start-demo.js');
    const withVtn = v['openadr-test-vtn'] === true;
    const { planDemoSites } = await import('../demo/demo-plan.js');
    const { startDemoVtn, publishDemoEvent } = await import('../demo/demo-openadr.js');
    const demoVtn = withVtn ? await startDemoVtn(planDemoSites({ sites, miners })) : undefined;
    const demo = await startDemo({
      ...(demoVtn ? { openadr: demoVtn.openadr } : {}),
      sites,
      miners,
      httpPort,
      mqttPort,
      explicitPorts: { http: v['http-port'] !== undefined, mqtt: v['mqtt-port'] !== undefined },
      timeFactor,
      store,
      ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}),
      ...(process.env.MQTT_URL ? { mqttUrl: process.env.MQTT_URL } : {}),
      log,
    }).catch(async (err: unknown) => {
      await demoVtn?.vtn.stop();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new AppError('USAGE', `${(err as Error).message}: another program holds that port; pick another with --http-port/--mqtt-port, or leave the option out and the demo finds a free one`, { cause: err });
      }
      throw err;
    });
    process.stdout.write(demoGuide(demo));
    if (demoVtn) {
      const site = demo.sites.find((x) => x.role === 'registered') ?? demo.sites[0]!;
      await publishDemoEvent(demoVtn.vtn, site);
      process.stdout.write(`OpenADR: test VTN at ${demoVtn.vtn.url}; it published a two-interval import limit on ${site.name}, starting in 30 s (Curtailment, marked OpenADR).\n`);
    }

    let stopping = false;
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const handler = (sig: NodeJS.Signals) => {
        if (stopping) {
          process.stderr.write('hashwatt demo: second signal, exiting without a clean stop\n');
          process.exit(EXIT.FAILURE);
        }
        stopping = true;
        resolve(sig);
      };
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
    });
    process.stdout.write(`\nhashwatt demo: ${signal}, stopping agents, collector and emulators…\n`);
    await demo.stop();
    await demoVtn?.vtn.stop();
    process.stdout.write('hashwatt demo: stopped; data kept in ' + demo.dataDir + '\n');
    return EXIT.OK;
  },
};
