import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFleet, type Fleet } from '../../sim/fleet/fleet.js';
import { startModbusMeterServer, type MeterServer } from '../../sim/meter/meter-server.js';
import { isRunning, signalAndWait } from '../helpers/child-exit.js';
import { HASHWATT_BIN } from '../helpers/collector-process.js';

/** One draw reading from the emulator's own record (ground truth, not what the agent says). */
export interface DrawPoint {
  ts: number;
  kw: number;
}

/**
 * One emulated site for the chaos run: a fleet and its Modbus meter in this
 * process (they are the outside world, and their draw is the ground truth the
 * limits are checked against) and a real agent as its own process, so it can be
 * killed with -9 and started again on the same data folder.
 */
export interface ChaosSite {
  id: string;
  agent: string;
  dataDir: string;
  fleet: Fleet;
  draw: DrawPoint[];
  /** When the agent process started (each start after a kill). */
  starts: number[];
  agentRunning(): boolean;
  startAgent(): void;
  killAgent(): Promise<void>;
  stop(): Promise<void>;
}

export async function chaosSite(options: { id: string; index: number; dir: string; brokerUrl: string; publicKeyPath: string; miners: number; seed: number }): Promise<ChaosSite> {
  const host = `127.77.${10 + options.index}.1`;
  const fleet = await startFleet({ miners: options.miners, timeFactor: 0.1, host, portBase: 0, seed: options.seed, overheadKw: 10, idPrefix: `${options.id}-m` });
  const meter: MeterServer = await startModbusMeterServer({ host, port: 0, preset: 'eastron-sdm630', readPowerW: () => fleet.totalPowerW(), readImportKwh: () => fleet.importKwh() });
  const agent = 'gw-1';
  const dataDir = join(options.dir, `agent-${options.id}`);
  const configPath = join(options.dir, `agent-${options.id}.yaml`);
  writeFileSync(configPath, JSON.stringify({
    site: options.id,
    agent,
    broker: { url: options.brokerUrl, reconnectMaxMs: 1000 },
    controlPublicKeys: [options.publicKeyPath],
    miners: fleet.endpoints().map((e) => ({ id: e.id, host: e.host, port: e.port, httpPort: e.httpPort, v3Port: e.v3Port, firmware: e.firmware, username: e.username, password: e.password })),
    meter: { driver: 'modbus-tcp', host: meter.host, port: meter.port, preset: 'eastron-sdm630', timeoutMs: 1000 },
    poll: { cron: '* * * * * *', concurrency: 64, timeoutMs: 900, detailEvery: 10 },
    dataDir,
    // Resend what the collector has not acked within 10 s: a broker killed with -9 loses what it held.
    outbox: { replayPerSecond: 50, ackTimeoutMs: 10_000 },
    curtailment: { batchSize: 10, batchPauseS: 0.5, minSleepS: 0, confirmTimeoutMs: 4000, maxKwHysteresisKw: 2, tolerance: 0.02 },
  }, null, 2));

  let child: ChildProcess | undefined;
  const draw: DrawPoint[] = [];
  const recorder = setInterval(() => draw.push({ ts: Date.now(), kw: fleet.totalPowerW() / 1000 }), 250);
  const running = () => isRunning(child);
  const site: ChaosSite = {
    id: options.id, agent, dataDir, fleet, draw, starts: [],
    agentRunning: running,
    startAgent() {
      if (running()) return;
      child = spawn(process.execPath, [HASHWATT_BIN, 'agent', '--config', configPath], { stdio: 'ignore', env: { ...process.env, HASHWATT_LOG_LEVEL: 'error' } });
      site.starts.push(Date.now());
    },
    killAgent: () => signalAndWait(child, 'SIGKILL'),
    async stop() {
      clearInterval(recorder);
      await signalAndWait(child, 'SIGTERM');
      await meter.stop();
      await fleet.stop();
    },
  };
  return site;
}
