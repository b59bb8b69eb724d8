import { join } from 'node:path';
import { AgentConfigSchema, type AgentConfig, type AgentConfigInput } from '../../agent/config/agent-config.js';
import type { Logger } from '../../shared/log/logger.js';
import { startFleet, type Fleet } from '../../sim/fleet/fleet.js';
import { startModbusMeterServer, type MeterServer } from '../../sim/meter/meter-server.js';
import type { DemoSitePlan } from './demo-plan.js';

/** One emulated site: its miners on real sockets, its Modbus meter, and what its agent's config says. */
export interface DemoSite {
  plan: DemoSitePlan;
  fleet: Fleet;
  meter: MeterServer;
  stop(): Promise<void>;
}

export interface DemoSiteOptions {
  plan: DemoSitePlan;
  timeFactor: number;
  log: Logger;
}

/**
 * Miners run in port mode on 127.0.0.1 (three free ports each): no root for
 * port 80, no extra loopback aliases (macOS has only 127.0.0.1), and nothing
 * that could collide with a second demo or a test run.
 */
export async function startDemoSite({ plan, timeFactor, log }: DemoSiteOptions): Promise<DemoSite> {
  const fleet = await startFleet({
    miners: plan.miners,
    mix: plan.mix,
    timeFactor,
    seed: plan.seed,
    overheadKw: plan.overheadKw,
    idPrefix: `${plan.id}-m`,
    portBase: 0,
    host: '127.0.0.1',
    log: log.child({ site: plan.id }),
  });
  let meter: MeterServer;
  try {
    meter = await startModbusMeterServer({
      host: '127.0.0.1',
      port: 0,
      preset: plan.meterPreset,
      readPowerW: () => fleet.totalPowerW(),
      readImportKwh: () => fleet.importKwh(),
    });
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return {
    plan,
    fleet,
    meter,
    async stop() {
      await meter.stop();
      await fleet.stop();
    },
  };
}

export interface DemoAgentSettings {
  brokerUrl: string;
  publicKeyFile: string;
  dataDir: string;
  /** node-cron expression with seconds; the demo polls faster than production. */
  pollCron: string;
  timeFactor: number;
  curtailment?: Partial<AgentConfigInput['curtailment'] & object> | undefined;
}

/** The agent config an installer would write for this site, built from the emulator's endpoints. */
export function demoAgentConfig(site: DemoSite, s: DemoAgentSettings): AgentConfig {
  // Curtailment pacing follows the emulator's clock, so a fast demo also ramps fast.
  const scaled = (seconds: number) => Math.max(0, Math.round(seconds * s.timeFactor * 10) / 10);
  return AgentConfigSchema.parse({
    site: site.plan.id,
    agent: 'gw1',
    broker: { url: s.brokerUrl, clientId: `hashwatt-agent-${site.plan.id}-gw1`, reconnectMaxMs: 5000 },
    controlPublicKeys: [s.publicKeyFile],
    miners: site.fleet.endpoints().map((e) => ({
      id: e.id,
      host: e.host,
      ...(e.port !== undefined ? { port: e.port } : {}),
      ...(e.httpPort !== undefined ? { httpPort: e.httpPort } : {}),
      ...(e.v3Port !== undefined ? { v3Port: e.v3Port } : {}),
      firmware: e.firmware,
      username: e.username,
      password: e.password,
    })),
    meter: { driver: 'modbus-tcp', host: site.meter.host, port: site.meter.port, preset: site.plan.meterPreset, timeoutMs: 2000 },
    // Every demo agent declares where it stands; the collector uses it for the grey site nobody registered.
    location: { region: site.plan.region },
    poll: { cron: s.pollCron, concurrency: 64, timeoutMs: 2500, detailEvery: 3 },
    dataDir: join(s.dataDir, 'agents', site.plan.id),
    curtailment: {
      batchSize: 25,
      batchPauseS: scaled(5),
      minSleepS: scaled(300),
      confirmTimeoutMs: Math.max(3000, Math.round(30_000 * s.timeFactor)),
      powerTargetSettleS: scaled(12),
      ...s.curtailment,
    },
  });
}
