import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet, type Fleet, type FleetOptions } from '../../sim/fleet/fleet.js';
import { startModbusMeterServer, type MeterServer } from '../../sim/meter/meter-server.js';
import { signPayload } from '../../shared/signing/control-signing.js';
import type { UnsignedControl } from '../../shared/protocol/index.js';
import { startTestBroker, uniqueId, type TestBroker } from '../../test/helpers/broker.js';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.js';
import { AgentConfigSchema, type AgentConfig, type AgentConfigInput } from '../config/agent-config.js';
import { startTestCollector, type TestCollector } from './test-collector.js';

/** Random 127.x.y.z so parallel test files never share an address. */
export function randomLoopback(): string {
  const b = () => 1 + Math.floor(Math.random() * 250);
  return `127.${b()}.${b()}.${b()}`;
}

export interface TestSite {
  site: string;
  agent: string;
  fleet: Fleet;
  meter: MeterServer;
  broker: TestBroker;
  /** The agent reaches the broker through this, so a test can cut the network. */
  proxy: TcpProxy;
  collector: TestCollector;
  dir: string;
  keys: { privateKey: KeyObject; publicKey: KeyObject; publicPath: string };
  config(overrides?: Partial<AgentConfigInput>): AgentConfig;
  /** Writes the config as a file (JSON is YAML) for the CLI. */
  writeConfig(config: AgentConfigInput): string;
  control(fields: Partial<UnsignedControl>, sign?: 'good' | 'none' | 'wrong-key'): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Emulated fleet + Modbus meter + broker (through a cuttable proxy) + a collector stand-in + signing keys. */
export async function startTestSite(fleetOptions: Partial<FleetOptions> & { miners: number }, options: { broker?: TestBroker } = {}): Promise<TestSite> {
  const host = randomLoopback();
  const fleet = await startFleet({ timeFactor: 0.05, host, portBase: 0, seed: 11, overheadKw: 20, ...fleetOptions });
  const meter = await startModbusMeterServer({ host, port: 0, preset: 'eastron-sdm630', readPowerW: () => fleet.totalPowerW(), readImportKwh: () => fleet.importKwh() });
  const broker = options.broker ?? (await startTestBroker());
  const brokerUrl = new URL(broker.url);
  const proxy = await startTcpProxy({ host: brokerUrl.hostname, port: Number(brokerUrl.port || 1883) });
  const site = uniqueId('site');
  const agent = 'agent-1';
  const collector = await startTestCollector(broker.url, site, agent);
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-agent-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicPath = join(dir, 'control.pub.pem');
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  const other = generateKeyPairSync('ed25519');

  const input = (overrides: Partial<AgentConfigInput> = {}): AgentConfigInput => ({
    site,
    agent,
    broker: { url: `mqtt://${proxy.host}:${proxy.port}`, reconnectMaxMs: 1000 },
    controlPublicKeys: [publicPath],
    miners: fleet.endpoints().map((e) => ({ id: e.id, host: e.host, port: e.port, httpPort: e.httpPort, v3Port: e.v3Port, firmware: e.firmware, username: e.username, password: e.password })),
    meter: { driver: 'modbus-tcp', host: meter.host, port: meter.port, preset: 'eastron-sdm630', timeoutMs: 1000 },
    poll: { cron: '* * * * * *', concurrency: 64, timeoutMs: 900, detailEvery: 5 },
    dataDir: join(dir, 'data'),
    outbox: { replayPerSecond: 50, ackTimeoutMs: 30_000 },
    curtailment: { batchSize: 10, batchPauseS: 0.2, minSleepS: 0, confirmTimeoutMs: 4000, maxKwHysteresisKw: 3, tolerance: 0.02 },
    ...overrides,
  });

  return {
    site,
    agent,
    fleet,
    meter,
    broker,
    proxy,
    collector,
    dir,
    keys: { privateKey, publicKey, publicPath },
    config: (overrides) => AgentConfigSchema.parse(input(overrides)),
    writeConfig(config) {
      const path = join(dir, `agent-${Math.random().toString(36).slice(2, 8)}.yaml`);
      writeFileSync(path, JSON.stringify(config, null, 2));
      return path;
    },
    control(fields, sign = 'good') {
      const now = Date.now();
      const body = {
        v: 1 as const,
        site,
        agent,
        revision: 1,
        issuedAt: now,
        validFrom: now,
        validUntil: now + 10 * 60_000,
        mode: 'none' as const,
        value: null,
        level: 'sleep' as const,
        strategy: 'least_efficient_first' as const,
        rampSeconds: 0,
        priority: 'normal' as const,
        reason: 'test',
        eventIds: [],
        ...fields,
      };
      if (sign === 'none') return body;
      if (sign === 'wrong-key') return signPayload(body, other.privateKey, other.publicKey);
      return signPayload(body, privateKey, publicKey);
    },
    async stop() {
      await collector.stop().catch(() => undefined);
      await proxy.stop();
      await broker.stop();
      await meter.stop();
      await fleet.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
