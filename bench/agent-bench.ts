/**
 * Agent benchmark (`npm run bench -- agent [flags]`): one agent over 5,000
 * emulated miners (a child `hashwatt sim` with a Modbus meter) at a 10 s poll
 * interval for 5 minutes, reporting poll-cycle p50/p99, the agent's CPU share
 * and peak RSS. Target: cycle p99 ≤ 3 s, RSS ≤ 200 MB.
 *
 * The agent runs in its own process (this file with --child) so its CPU and
 * RSS are its own; the embedded broker and an acking collector stand-in run
 * here. --seconds shortens the run.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startEmbeddedBroker } from '../server/broker/embedded-broker.js';
import { createLogger, createSilentLogger } from '../shared/log/logger.js';
import { AgentConfigSchema, type AgentConfigInput } from '../agent/config/agent-config.js';
import { createAgent } from '../agent/main.js';
import { startTestCollector } from '../agent/testing/test-collector.js';
import type { FleetEndpoint } from '../sim/fleet/fleet.js';

const { values: flags } = parseArgs({
  options: {
    miners: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '300' },
    cron: { type: 'string', default: '*/10 * * * * *' },
    concurrency: { type: 'string', default: '256' },
    bind: { type: 'string', default: '127.88.0.0/16' },
    child: { type: 'string' },
  },
});

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function child(configPath: string): Promise<void> {
  const config = AgentConfigSchema.parse(JSON.parse(readFileSync(configPath, 'utf8')));
  const agent = createAgent({ config, log: createLogger({ level: 'warn' }) });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  await agent.start();
  process.on('message', async () => {
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    const status = agent.status();
    await agent.stop();
    process.send!({ cycles: agent.cycleDurations(), cpuShare: (cpu.user + cpu.system) / 1000 / wallMs, peakRssMb: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20, status });
    setTimeout(() => process.exit(0), 100);
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-agent-bench-'));
  const endpointsFile = join(dir, 'endpoints.json');
  const bin = fileURLToPath(new URL('../bin/hashwatt.js', import.meta.url));
  const sim: ChildProcess = spawn(process.execPath, [bin, 'sim', '--miners', flags.miners, '--bind', flags.bind, '--http-port', '8080', '--endpoints', endpointsFile, '--meter-port', '0', '--overhead-kw', '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    sim.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ctrl-C to stop')) resolve();
    });
    sim.once('exit', (code) => reject(new Error(`hashwatt sim exited with ${code}:\n${out}`)));
  });
  const meterPort = Number(/meter\D+127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? /:(\d+)\D*modbus/i.exec(out)?.[1]);
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as FleetEndpoint[];
  const broker = await startEmbeddedBroker({ port: 0, log: createSilentLogger() });
  const collector = await startTestCollector(broker.url, 'bench', 'agent-1');
  const { publicKey } = generateKeyPairSync('ed25519');
  const keyPath = join(dir, 'key.pem');
  writeFileSync(keyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  const input: AgentConfigInput = {
    site: 'bench',
    agent: 'agent-1',
    broker: { url: broker.url },
    controlPublicKeys: [keyPath],
    miners: endpoints.map((e) => ({ id: e.id, host: e.host, port: e.port, httpPort: e.httpPort, v3Port: e.v3Port, firmware: e.firmware, username: e.username, password: e.password })),
    ...(Number.isFinite(meterPort) ? { meter: { driver: 'modbus-tcp' as const, host: '127.0.0.1', port: meterPort, preset: 'eastron-sdm630' as const } } : {}),
    poll: { cron: flags.cron, concurrency: Number(flags.concurrency), timeoutMs: 3000, detailEvery: 6 },
    dataDir: join(dir, 'data'),
  };
  const configPath = join(dir, 'agent.json');
  writeFileSync(configPath, JSON.stringify(input));
  process.stdout.write(`emulator: ${endpoints.length} miners on ${flags.bind}${Number.isFinite(meterPort) ? `, meter on :${meterPort}` : ', no meter'}; agent polls on '${flags.cron}' for ${flags.seconds} s\n`);
  const agent = fork(fileURLToPath(import.meta.url), ['--child', configPath], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, Number(flags.seconds) * 1000));
  agent.send('stop');
  const [result] = (await new Promise((resolve) => agent.once("message", (m) => resolve([m as never])))) as [{ cycles: number[]; cpuShare: number; peakRssMb: number; status: ReturnType<ReturnType<typeof createAgent>['status']> }];
  const c = result.cycles;
  const steady = c.length > 1 ? c.slice(1) : c;
  const s = result.status;
  process.stdout.write(
    [
      `poll cycles: ${c.length} (overruns ${s.polls.overruns}); first cycle ${((c[0] ?? 0) / 1000).toFixed(2)} s (cold: every driver's first read fetches its slow facts)`,
      `steady-state cycles: p50 ${(percentile(steady, 50) / 1000).toFixed(2)} s, p99 ${(percentile(steady, 99) / 1000).toFixed(2)} s, max ${(Math.max(...steady) / 1000).toFixed(2)} s; all cycles p99 ${(percentile(c, 99) / 1000).toFixed(2)} s`,
      `last poll: ${s.lastPoll?.counts.total} miners (hashing ${s.lastPoll?.counts.hashing}, offline ${s.lastPoll?.counts.offline}), miner sum ${s.lastPoll?.minerKw} kW, meter ${s.lastPoll?.meterKw} kW`,
      `agent CPU share ${(result.cpuShare * 100).toFixed(1)} % of one core; peak RSS ${result.peakRssMb.toFixed(0)} MB`,
      `telemetry: ${s.outbox.enqueued} messages (${s.outbox.sentLive} sent live, ${s.outbox.replayed} replayed), ${collector.telemetry.length} received, outbox depth at the end ${s.outbox.rows}; broker connects ${s.broker.connects}, disconnects ${s.broker.disconnects}`,
      `target (steady-state cycle p99 ≤ 3 s, RSS ≤ 200 MB): ${percentile(steady, 99) <= 3000 && result.peakRssMb <= 200 ? 'met' : 'NOT met'}`,
    ].join('\n') + '\n',
  );
  await collector.stop().catch(() => undefined);
  await broker.stop();
  sim.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

if (flags.child) await child(flags.child);
else await main();
