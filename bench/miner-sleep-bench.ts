/**
 * Miner sleep/wake benchmark (`npm run bench -- miner-sleep [flags]`), issue 4:
 * the real built CLI (`hashwatt miner sleep|wake … --json`) acting on 1,000
 * emulated miners of mixed firmware at once, each on its own loopback address,
 * with the emulator (`hashwatt sim`) in another process.
 *
 * The CLI takes one login per run and the emulated firmwares ship different
 * factory logins (Whatsminer's v3 API knows only the account "super"), so there
 * is one command per login group, all started together as an operator would
 * start them; wall time is until the last one exits.
 *
 * Against what: the emulated ramp from the emulator's physics (miner-sleep-ramp.ts):
 * the first moment any read-back could confirm, and the full transition. With
 * --concurrency below a group's size the miners go in waves, so the floor is
 * waves × that moment. Overhead = wall − floor: process start, detection,
 * logins, the 500 ms read-back cadence, and queueing on a shared machine.
 * CPU and peak RSS are each command's own (getrusage at exit, via a preload).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY } from '../agent/cli/miner-command.js';
import type { ActionResult } from '../agent/drivers/miners/miner-driver.js';
import type { FleetEndpoint, SiteTruth } from '../sim/fleet/fleet.js';
import { emulatedRamps, type Ramp } from './miner-sleep-ramp.js';

const { values: flags } = parseArgs({
  options: {
    miners: { type: 'string', default: '1000' },
    bind: { type: 'string', default: '127.78.0.0/22' },
    /** Unprivileged HTTP port for the web/REST APIs (80 needs root). */
    'http-port': { type: 'string', default: '18080' },
    mix: { type: 'string', default: 'antminer:40,luxos:20,braiins:20,whatsminer:20' },
    'time-factor': { type: 'string', default: '1' },
    /** Passed to the CLI; without it the CLI's own default is what is measured. */
    concurrency: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const TIME_FACTOR = Number(flags['time-factor']);
const CONCURRENCY = flags.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(flags.concurrency);
const BIN = new URL('../bin/hashwatt.js', import.meta.url).pathname;
const RUSAGE_PRELOAD = pathToFileURL(new URL('./miner-sleep-bench-rusage.js', import.meta.url).pathname).href;

interface Emulator {
  endpoints: FleetEndpoint[];
  site: () => Promise<SiteTruth>;
  stop: () => Promise<void>;
}

async function startEmulator(): Promise<Emulator> {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-bench-'));
  const file = join(dir, 'endpoints.json');
  const child = spawn(process.execPath, [
    BIN, 'sim', '--miners', flags.miners, '--bind', flags.bind, '--http-port', flags['http-port'], '--mix', flags.mix,
    '--time-factor', flags['time-factor'], '--seed', flags.seed, '--endpoints', file, '--admin-port', '0',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ctrl-C to stop')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`hashwatt sim exited with ${code} before listening:\n${out}`)));
  });
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as FleetEndpoint[];
  rmSync(dir, { recursive: true, force: true });
  const adminUrl = /admin\s+(http:\S+)/.exec(out)?.[1];
  return {
    endpoints,
    site: async () => (await (await fetch(`${adminUrl}/site`)).json()) as SiteTruth,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Group {
  login: string;
  username: string;
  password: string;
  endpoints: FleetEndpoint[];
}

/** Miners sharing one login: what one CLI run can act on. */
function loginGroups(endpoints: FleetEndpoint[]): Group[] {
  const groups = new Map<string, Group>();
  for (const ep of endpoints) {
    const login = `${ep.username}/${ep.password}`;
    let g = groups.get(login);
    if (!g) groups.set(login, (g = { login, username: ep.username, password: ep.password, endpoints: [] }));
    g.endpoints.push(ep);
  }
  return [...groups.values()];
}

interface Outcome {
  host: string;
  firmware: string;
  result: ActionResult;
}

interface CommandRun {
  group: Group;
  code: number | null;
  wallMs: number;
  outcomes: Outcome[];
  summary?: { confirmed: number; notConfirmed: number; reasons: Record<string, number> };
  cpuMs: number;
  maxRssMb: number;
  peakFds: number;
  stderr: string;
}

/** One CLI run over one login group: `node --import <rusage> hashwatt.js miner <action> <hosts…> --json`. */
function runCommand(action: 'sleep' | 'wake', group: Group): Promise<CommandRun> {
  const hosts = group.endpoints.map((ep) => `${ep.host}:${ep.port ?? 4028}`);
  const args = ['--import', RUSAGE_PRELOAD, BIN, 'miner', action, ...hosts, '--http-port', flags['http-port'], '--json', ...(flags.concurrency ? ['--concurrency', flags.concurrency] : [])];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, HASHWATT_MINER_USER: group.username, HASHWATT_MINER_PASSWORD: group.password },
  });
  let stdout = '';
  let stderr = '';
  let rusage = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => (rusage += c.toString()));
  // Descriptors the command holds (sockets in flight), sampled from outside.
  let peakFds = 0;
  const sampler = setInterval(() => {
    try {
      peakFds = Math.max(peakFds, readdirSync(`/proc/${child.pid}/fd`).length);
    } catch {
      // exited, or no /proc
    }
  }, 50);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      clearInterval(sampler);
      const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Outcome | { summary: CommandRun['summary'] });
      const usage = rusage ? (JSON.parse(rusage) as { userUs: number; systemUs: number; maxRssKb: number }) : undefined;
      resolve({
        group,
        code,
        wallMs,
        outcomes: lines.filter((l): l is Outcome => 'result' in l),
        summary: lines.find((l): l is { summary: CommandRun['summary'] } => 'summary' in l)?.summary,
        cpuMs: usage ? (usage.userUs + usage.systemUs) / 1000 : Number.NaN,
        maxRssMb: usage ? usage.maxRssKb / 1024 : Number.NaN,
        peakFds,
        stderr,
      });
    });
  });
}

function quantile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function act(action: 'sleep' | 'wake', emulator: Emulator, groups: Group[], ramp: Ramp): Promise<void> {
  const started = performance.now();
  const runs = await Promise.all(groups.map((g) => runCommand(action, g)));
  const wallMs = performance.now() - started;
  const site = await emulator.site();

  const outcomes = runs.flatMap((r) => r.outcomes);
  const elapsed = outcomes.map((o) => o.result.elapsedMs).sort((a, b) => a - b);
  const confirmed = outcomes.filter((o) => o.result.ok);
  const reasons: Record<string, number> = {};
  for (const o of outcomes) if (!o.result.ok) reasons[o.result.reason] = (reasons[o.result.reason] ?? 0) + 1;
  const watts = confirmed.map((o) => (o.result.ok ? o.result.observedPowerW : null)).filter((w): w is number => w !== null).sort((a, b) => a - b);
  // A group of n at concurrency c goes in ceil(n / c) waves, each at least one ramp long.
  const waves = Math.max(...groups.map((g) => Math.ceil(g.endpoints.length / CONCURRENCY)));
  const floorMs = waves * ramp.confirmableMs;

  const out: string[] = [];
  out.push(`\n${action}: ${confirmed.length}/${outcomes.length} confirmed${Object.keys(reasons).length ? `; not confirmed: ${JSON.stringify(reasons)}` : ''}; wall ${s(wallMs)} (${runs.length} command${runs.length > 1 ? 's' : ''} at once)`);
  for (const r of runs) {
    const missingSummary = r.summary === undefined ? '  NO SUMMARY LINE' : '';
    out.push(`  ${r.group.login.padEnd(12)} ${String(r.group.endpoints.length).padStart(4)} miners  exit ${r.code}  wall ${s(r.wallMs)}  cpu ${(r.cpuMs / 1000).toFixed(2)} s (${((100 * r.cpuMs) / r.wallMs).toFixed(0)} % of one core)  peak RSS ${r.maxRssMb.toFixed(0)} MB  peak fds ${r.peakFds}${missingSummary}`);
    if (r.stderr.trim()) out.push(`    stderr: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  }
  out.push(`  per-miner elapsed  p50 ${s(quantile(elapsed, 0.5))}  p99 ${s(quantile(elapsed, 0.99))}  max ${s(elapsed.at(-1) ?? Number.NaN)}`);
  out.push(`  emulated ramp      confirmable after ${s(ramp.confirmableMs)}; whole transition ${s(ramp.transitionMs)} (time factor ${TIME_FACTOR})`);
  if (waves > 1) out.push(`  at --concurrency ${CONCURRENCY}: ${waves} waves, floor ${s(floorMs)}`);
  out.push(`  wall / ramp        ${(wallMs / floorMs).toFixed(2)} (vs whole transition${waves > 1 ? ' × waves' : ''} ${(wallMs / (waves * ramp.transitionMs)).toFixed(2)})`);
  out.push(`  overhead           wall − ramp = ${s(wallMs - floorMs)}`);
  out.push(`  total CPU          ${(runs.reduce((n, r) => n + r.cpuMs, 0) / 1000).toFixed(2)} s (${((runs.reduce((n, r) => n + r.cpuMs, 0) * 1000) / Math.max(1, outcomes.length)).toFixed(0)} µs per miner)`);
  out.push(`  power at confirm   p50 ${quantile(watts, 0.5)} W, max ${watts.at(-1)} W per miner (as the CLI read it back)`);
  out.push(`  emulator at exit   ${JSON.stringify(site.byPhase)}, miners ${(site.minerPowerW / 1000).toFixed(0)} kW`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Until every miner has finished its transition (the next action starts from rest). */
async function settle(emulator: Emulator, phase: 'sleeping' | 'hashing', budgetMs: number): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const site = await emulator.site();
    if (site.byPhase[phase] === site.miners || Date.now() > deadline) {
      process.stdout.write(`  settled: ${JSON.stringify(site.byPhase)}, miners ${(site.minerPowerW / 1000).toFixed(0)} kW\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const ramps = emulatedRamps(TIME_FACTOR);
  const t0 = performance.now();
  const emulator = await startEmulator();
  try {
    const groups = loginGroups(emulator.endpoints);
    const counts = new Map<string, number>();
    for (const ep of emulator.endpoints) counts.set(ep.firmware, (counts.get(ep.firmware) ?? 0) + 1);
    process.stdout.write(
      `emulator: ${emulator.endpoints.length} miners (${[...counts].map(([f, n]) => `${f} ${n}`).join(', ')}) on ${flags.bind} in a child process, up in ${s(performance.now() - t0)}\n` +
        `commands: ${groups.map((g) => `${g.endpoints.length} with login ${g.login}`).join('; ')}; --concurrency ${CONCURRENCY}${flags.concurrency === undefined ? ' (the CLI default)' : ''}\n`,
    );
    await act('sleep', emulator, groups, ramps.sleep);
    await settle(emulator, 'sleeping', 2 * ramps.sleep.transitionMs + 5000);
    await act('wake', emulator, groups, ramps.wake);
    await settle(emulator, 'hashing', 2 * ramps.wake.transitionMs + 5000);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`miner-sleep bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
