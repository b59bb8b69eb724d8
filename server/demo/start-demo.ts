import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createAgent, type Agent } from '../../agent/main.js';
import { describeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, writeKeyPair } from '../../shared/signing/key-files.js';
import { CollectorConfigSchema } from '../config/collector-config.js';
import { registerDashboard } from '../dashboard/serve-dashboard.js';
import { createCollector, type Collector } from '../main.js';
import { allocationFor, planDemoSites, type DemoSitePlan } from './demo-plan.js';
import { choosePort } from './demo-ports.js';
import { demoAgentConfig, startDemoSite, type DemoAgentSettings, type DemoSite } from './demo-site.js';
import { loadOrCreateDemoTokens, tokenConfigs, type DemoTokens } from './demo-tokens.js';
import type { StoreConfig } from '../store/open-store.js';

export interface DemoOptions {
  sites?: number;
  miners?: number;
  /** Preferred ports; when taken (and not `explicitPorts`) a free one is used instead. */
  httpPort?: number;
  mqttPort?: number;
  explicitPorts?: { http?: boolean; mqtt?: boolean };
  /** Emulator time factor: 1 = real firmware delays (pause ≈ 6 s, wake ≈ 10 s). */
  timeFactor?: number;
  dataDir?: string;
  /** The collector's store (default: SQLite in the data dir). */
  store?: StoreConfig;
  /** An external broker (MQTT_URL); otherwise the collector runs the embedded one. */
  mqttUrl?: string;
  /** Prepended to site ids (tests on a shared broker). */
  siteIdPrefix?: string;
  /** Agent poll schedule (node-cron with seconds). */
  pollCron?: string;
  /** Ingest only the demo's own sites (a shared broker carries other programs' sites too). */
  ownSitesOnly?: boolean;
  /** Overrides of the agents' curtailment settings (benchmarks). */
  agentCurtailment?: DemoAgentSettings['curtailment'];
  /** Compliance timings; the demo shortens them so a violation shows within a minute. */
  compliance?: { windowS?: number; graceS?: number; closeAfterS?: number };
  /** Seconds agents spread a curtailment over (default 10). */
  rampSeconds?: number;
  /** The collector's `openadr` section (docs/openadr.md): follow a VTN as a VEN. */
  openadr?: Record<string, unknown>;
  log: Logger;
}

export interface RunningDemo {
  dashboardUrl: string;
  httpUrl: string;
  brokerUrl: string;
  dataDir: string;
  tokens: DemoTokens;
  sites: Array<{ id: string; name: string; role: DemoSitePlan['role']; miners: number; allocationKw: number; drawKw: number }>;
  /** Ports that were taken, so the demo moved. */
  moved: Array<{ what: string; wanted: number; got: number }>;
  /** The emulated fleets (ground truth for tests). */
  demoSites: DemoSite[];
  stop(): Promise<void>;
}

async function ensureKeys(dir: string): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
  const privateKeyFile = join(dir, PRIVATE_KEY_FILE);
  const publicKeyFile = join(dir, PUBLIC_KEY_FILE);
  try {
    await access(privateKeyFile);
    await access(publicKeyFile);
  } catch {
    await writeKeyPair(dir, { force: true });
  }
  return { privateKeyFile, publicKeyFile };
}

/**
 * The whole system on one machine: emulated sites (miners + Modbus meter),
 * the collector with its broker and SQLite store, and one edge agent per site
 * talking to both over real sockets. Everything stops in reverse order.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const log = options.log.child({ component: 'demo' });
  const dataDir = resolve(options.dataDir ?? './data');
  const timeFactor = options.timeFactor ?? 0.25;
  await mkdir(dataDir, { recursive: true });
  const keys = await ensureKeys(join(dataDir, 'keys'));
  const tokens = await loadOrCreateDemoTokens(dataDir);
  const plans = planDemoSites({ sites: options.sites ?? 5, miners: options.miners ?? 300, idPrefix: options.siteIdPrefix ?? '' });

  const started: DemoSite[] = [];
  const agents: Agent[] = [];
  let collector: Collector | undefined;
  const stopAll = async () => {
    await Promise.allSettled(agents.map((a) => a.stop()));
    if (collector) await collector.stop().catch((err: unknown) => log.warn({ err: describeError(err) }, 'collector stop failed'));
    await Promise.allSettled(started.map((s) => s.stop()));
  };

  try {
    for (const plan of plans) started.push(await startDemoSite({ plan, timeFactor, log }));
    const drawKw = new Map(started.map((s) => [s.plan.id, s.fleet.totalPowerW() / 1000]));
    const siteSettings = started
      .filter((s) => s.plan.role !== 'unregistered')
      .map((s) => ({
        id: s.plan.id,
        name: s.plan.name,
        region: s.plan.region,
        company: s.plan.company,
        registered: true,
        allocationKw: allocationFor(s.plan, drawKw.get(s.plan.id) ?? 0),
        hardCapKw: null,
        tariffPerKwh: s.plan.tariffPerKwh,
        tier: s.plan.tier,
        autoEnforce: null,
      }));

    const moved: RunningDemo['moved'] = [];
    const http = await choosePort('127.0.0.1', options.httpPort ?? 8080, options.explicitPorts?.http ?? false);
    const mqtt = options.mqttUrl ? undefined : await choosePort('127.0.0.1', options.mqttPort ?? 1883, options.explicitPorts?.mqtt ?? false);
    const config = CollectorConfigSchema.parse({
      ...(options.mqttUrl ? { broker: { url: options.mqttUrl, clientId: `hashwatt-demo-collector-${process.pid}` } } : { embeddedBroker: { host: '127.0.0.1', port: mqtt!.port } }),
      dataDir: join(dataDir, 'collector'),
      ...(options.store ? { store: options.store } : {}),
      signing: keys,
      http: { host: '127.0.0.1', port: http.port },
      tokens: tokenConfigs(tokens),
      sites: siteSettings,
      compliance: { windowS: options.compliance?.windowS ?? 30, graceS: options.compliance?.graceS ?? 15, closeAfterS: options.compliance?.closeAfterS ?? 20, tolerance: 0.05, hysteresis: 0.02 },
      events: { rampSeconds: options.rampSeconds ?? 10, tickMs: 1000, confirmTolerance: 0.05 },
      ...(options.ownSitesOnly ? { ingest: { sites: plans.map((p) => p.id) } } : {}),
      onlineAfterS: 30,
      ...(options.openadr ? { openadr: options.openadr } : {}),
    });
    collector = createCollector({ config, log: options.log, extendHttp: (app) => registerDashboard(app, { tokens: config.tokens }) });
    await collector.start();
    const httpUrl = collector.httpUrl;
    const brokerUrl = collector.brokerUrl;
    if (http.takenPreferred) moved.push({ what: 'HTTP', wanted: http.takenPreferred, got: Number(new URL(httpUrl).port) });
    if (mqtt?.takenPreferred) moved.push({ what: 'MQTT', wanted: mqtt.takenPreferred, got: Number(new URL(brokerUrl).port) });

    for (const site of started) {
      const config = demoAgentConfig(site, { brokerUrl, publicKeyFile: keys.publicKeyFile, dataDir, pollCron: options.pollCron ?? '*/5 * * * * *', timeFactor, curtailment: options.agentCurtailment });
      agents.push(createAgent({ config, log: options.log }));
    }
    await Promise.all(agents.map((a) => a.start()));

    return {
      dashboardUrl: `${httpUrl}/`,
      httpUrl,
      brokerUrl,
      dataDir,
      tokens,
      moved,
      demoSites: started,
      sites: started.map((s) => ({
        id: s.plan.id,
        name: s.plan.name,
        role: s.plan.role,
        miners: s.plan.miners,
        allocationKw: siteSettings.find((x) => x.id === s.plan.id)?.allocationKw ?? 0,
        drawKw: Math.round((drawKw.get(s.plan.id) ?? 0) * 10) / 10,
      })),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
