/**
 * Poll benchmark (`npm run bench -- poll [flags]`): 10,000 emulated miners on
 * their own 127.x addresses, polled by the real drivers at a fixed concurrency,
 * beside a bare TCP loop (connect, send summary, read to NUL, close; no
 * parsing) against the same emulator at the same concurrency as the practical
 * ceiling. Drivers are kept across polls as the agent keeps them, so after a
 * reported first (cold) poll the rounds measure the steady state; bare and
 * driver passes alternate (--rounds, median reported) so both see the same load.
 *
 * The emulator runs as a child `hashwatt sim` process by default so the
 * poller's numbers are its own (both still share the machine's cores);
 * --in-process runs it in this process instead. Where one process may not
 * open a socket for every miner's port (the open-files limit: ~18,000 for
 * 10,000 miners, and a hard limit only root can raise), the miners are split
 * over as many `hashwatt sim` processes as it takes, each on its own /16.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMinerDriver } from '../agent/drivers/miners/registry.js';
import type { MinerDriver } from '../agent/drivers/miners/miner-driver.js';
import { startFleet, type Fleet, type FleetEndpoint } from '../sim/fleet/fleet.js';
import { listeningSocketsOf } from '../sim/fleet/listening-sockets.js';
import { readOpenFileLimit } from '../shared/open-file-limit.js';
import { emitJson, growth, load, parseFlags, passThroughFlags, sweep } from './bench-common.js';
import { fileURLToPath } from 'node:url';

export interface PollResult {
  bench: 'poll';
  miners: number;
  load: [number, number, number];
  perSecond: number;
  barePerSecond: number;
  ratio: number;
  p50: number;
  p99: number;
  pollerRssMb: number;
  emulatorRssMb: number;
}

const { values: flags } = parseArgs({
  options: {
    miners: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '256' },
    bind: { type: 'string', default: '127.77.0.0/16' },
    'timeout-ms': { type: 'string', default: '3000' },
    mix: { type: 'string', default: 'antminer:40,luxos:20,braiins:20,whatsminer:20' },
    rounds: { type: 'string', default: '3' },
    /** Write a V8 CPU profile of the emulator child here (run this process itself under node --cpu-prof for the poller). */
    'emulator-prof-dir': { type: 'string' },
    'in-process': { type: 'boolean', default: false },
    /** Runs the bench once per size (a fresh process each) and prints how throughput and memory grow. */
    sweep: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '1000,10000,30000' },
    /** Writes the result as JSON here (for `npm run bench -- report`). */
    json: { type: 'string' },
  },
});
const MINERS = Number(flags.miners);
const CONCURRENCY = Number(flags.concurrency);
const TIMEOUT_MS = Number(flags['timeout-ms']);
const ROUNDS = Math.max(1, Number(flags.rounds));

interface PassResult {
  name: string;
  /** CPU microseconds per miner: this process, and the emulator (NaN when not measurable). */
  pollerCpuUs?: number;
  emulatorCpuUs?: number;
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  firstError?: string;
}

/** Runs `task` once per item with at most `concurrency` in flight; latency per item. */
async function pass<T>(name: string, items: T[], concurrency: number, task: (item: T) => Promise<string | null>): Promise<PassResult> {
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        const t0 = performance.now();
        const error = await task(item).catch((err: Error) => err.message);
        latencies.push(performance.now() - t0);
        if (error === null) ok++;
        else {
          failed++;
          firstError ??= error;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { name, ok, failed, seconds, perSecond: items.length / seconds, p50: q(0.5), p99: q(0.99), ...(firstError ? { firstError } : {}) };
}

/** The practical limit: no driver, no parsing, one request per connection. */
function bareSummary(ep: FleetEndpoint): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: ep.host, port: ep.port ?? 4028 });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, TIMEOUT_MS);
    socket.on('connect', () => socket.write('{"command":"summary"}'));
    socket.on('data', (chunk: Buffer) => {
      if (chunk.includes(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(null);
      }
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve('closed before NUL');
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
  });
}

interface Emulator {
  endpoints: FleetEndpoint[];
  /** Emulator processes (0: in this process). */
  processes: number;
  rssMb: () => number;
  /** CPU time used so far, in microseconds (user + system). */
  cpuUs: () => number;
  connections: () => Promise<number>;
  stop: () => Promise<void>;
}

async function startEmulator(): Promise<Emulator> {
  if (flags['in-process']) {
    const fleet: Fleet = await startFleet({ miners: MINERS, bind: flags.bind, mix: parseMixLoose(flags.mix) });
    return {
      endpoints: fleet.endpoints(),
      processes: 0,
      rssMb: () => process.memoryUsage().rss / 2 ** 20,
      cpuUs: () => Number.NaN, // shares this process's CPU; not separable
      connections: async () => fleet.connectionsAccepted(),
      stop: () => fleet.stop(),
    };
  }
  const shards = emulatorShards();
  const started = await Promise.allSettled(Array.from({ length: shards }, (_, k) => startSimProcess(k, shards)));
  const children = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(children.map((c) => c.stop()));
    throw failed.reason;
  }
  const sum = (f: (c: SimProcess) => number) => children.reduce((a, c) => a + f(c), 0);
  return {
    endpoints: children.flatMap((c) => c.endpoints),
    processes: shards,
    rssMb: () => sum((c) => peakRssMb(c.pid)),
    cpuUs: () => sum((c) => cpuUsOf(c.pid)),
    connections: async () => (await Promise.all(children.map(async (c) => ((await (await fetch(`${c.adminUrl}/stats`)).json()) as { connectionsAccepted: number }).connectionsAccepted))).reduce((a, n) => a + n, 0),
    stop: async () => {
      await Promise.all(children.map((c) => c.stop()));
    },
  };
}

/**
 * How many `hashwatt sim` processes the fleet needs: one, unless its listening
 * sockets and a margin (connections in flight at the bench's concurrency, the
 * admin port, libuv's own) exceed the open files one process may have.
 */
function emulatorShards(): number {
  const limit = readOpenFileLimit();
  if (!limit || !Number.isFinite(limit.hard)) return 1;
  const perProcess = limit.hard - CONCURRENCY - 1024;
  return Math.max(1, Math.ceil(listeningSocketsOf(MINERS, parseMixLoose(flags.mix)) / perProcess));
}

/** `--bind` moved by `k` in its second octet (127.77.0.0/16 → 127.78.0.0/16): each emulator process its own addresses. */
function shardBind(bind: string, k: number): string {
  if (k === 0) return bind;
  const m = /^(\d+)\.(\d+)\.\d+\.\d+\/(\d+)$/.exec(bind);
  if (!m || Number(m[3]) < 16 || Number(m[2]) + k > 255) throw new Error(`--bind ${bind}: several emulator processes need a /16 or narrower range whose second octet can grow by ${k}`);
  return `${m[1]}.${Number(m[2]) + k}.0.0/16`;
}

interface SimProcess {
  pid: number;
  endpoints: FleetEndpoint[];
  adminUrl: string | undefined;
  stop: () => Promise<void>;
}

/** Emulator process `k` of `of`: its share of the miners (ids prefixed when shared, to stay unique), each with its own seed and addresses. */
async function startSimProcess(k: number, of: number): Promise<SimProcess> {
  const miners = Math.floor(MINERS / of) + (k < MINERS % of ? 1 : 0);
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-bench-'));
  const file = join(dir, 'endpoints.json');
  const bin = new URL('../bin/hashwatt.js', import.meta.url).pathname;
  const profile = flags['emulator-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['emulator-prof-dir']}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, bin, 'sim', '--miners', String(miners), '--bind', shardBind(flags.bind, k), '--mix', flags.mix, '--seed', String(k + 1), '--endpoints', file, '--admin-port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ctrl-C to stop')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`hashwatt sim exited with ${code} before listening:\n${out}`)));
  });
  const endpoints = (JSON.parse(readFileSync(file, 'utf8')) as FleetEndpoint[]).map((ep) => (of > 1 ? { ...ep, id: `e${k}-${ep.id}` } : ep));
  rmSync(dir, { recursive: true, force: true });
  return {
    pid: child.pid as number,
    endpoints,
    adminUrl: /admin\s+(http:\S+)/.exec(out)?.[1],
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function parseMixLoose(text: string): Record<string, number> {
  return Object.fromEntries(text.split(',').map((p) => p.split(':')).map(([k, v]) => [k as string, Number(v)]));
}

/** VmHWM: the child's peak resident set. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** utime + stime of a process from /proc/<pid>/stat, in microseconds. */
function cpuUsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5), counted from the state field (3): clock ticks, 100 per second on Linux.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

/** Runs a pass and records the CPU both processes spent on it, per miner. */
async function measured(emulator: Emulator, run: () => Promise<PassResult>, count: number): Promise<PassResult> {
  const p0 = process.cpuUsage();
  const e0 = emulator.cpuUs();
  const r = await run();
  const p = process.cpuUsage(p0);
  return { ...r, pollerCpuUs: (p.user + p.system) / count, emulatorCpuUs: (emulator.cpuUs() - e0) / count };
}

function row(r: PassResult): string {
  const cpu = r.pollerCpuUs === undefined ? '' : `  cpu/miner ${r.pollerCpuUs.toFixed(0)} µs poller${Number.isFinite(r.emulatorCpuUs) ? ` + ${r.emulatorCpuUs!.toFixed(0)} µs emulator` : ''}`;
  return `${r.name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(8)} miners/s  p50 ${r.p50.toFixed(1).padStart(7)} ms  p99 ${r.p99.toFixed(1).padStart(7)} ms  ok ${r.ok}  failed ${r.failed}${cpu}${r.firstError ? `  (first: ${r.firstError})` : ''}`;
}

/** The round whose rate is the median of `rounds` (its p99 goes with it). */
function median(rounds: PassResult[]): PassResult {
  return [...rounds].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(rounds.length / 2)] as PassResult;
}

async function main(): Promise<void> {
  if (flags.sweep) {
    const sizes = flags.sizes.split(',').map(Number);
    const runs = sweep<PollResult>(fileURLToPath(import.meta.url), 'miners', sizes, passThroughFlags(parseFlags(), ['sweep', 'sizes', 'miners', 'json']));
    process.stdout.write('\n== poll sweep (steady state, median round) ==\nminers    miners/s   bare/s   ratio   p99 ms   poller RSS MB\n');
    for (const { size, result: r } of runs) {
      process.stdout.write(r ? `${String(size).padEnd(9)} ${r.perSecond.toFixed(0).padStart(8)} ${r.barePerSecond.toFixed(0).padStart(8)} ${r.ratio.toFixed(2).padStart(7)} ${r.p99.toFixed(0).padStart(8)} ${r.pollerRssMb.toFixed(0).padStart(15)}\n` : `${size}: failed\n`);
    }
    const ok = runs.filter((r) => r.result);
    process.stdout.write(`time per poll of the fleet: ${growth(ok.map((r) => ({ size: r.size, value: r.size / r.result!.perSecond })))}\n`);
    process.stdout.write(`poller RSS: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.pollerRssMb })))}\n`);
    await emitJson(new Map(flags.json ? [['json', flags.json]] : []), { bench: 'poll-sweep', runs });
    return;
  }
  const startLoad = load();
  const t0 = performance.now();
  const emulator = await startEmulator();
  const { endpoints } = emulator;
  const where = emulator.processes === 0 ? `on ${flags.bind} in this process` : emulator.processes === 1 ? `on ${flags.bind} in a child process` : `from ${flags.bind} on in ${emulator.processes} child processes (one may not open a socket for every miner)`;
  process.stdout.write(`emulator: ${endpoints.length} miners ${where}, up in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const drivers: MinerDriver[] = endpoints.map((ep) => createMinerDriver(ep.firmware, ep, { requestTimeoutMs: TIMEOUT_MS }));
  const readOnce = async (d: MinerDriver): Promise<string | null> => {
    const r = await d.read();
    return r.state === 'offline' || r.state === 'error' ? `${d.endpoint.id}: ${r.error ?? r.state}` : null;
  };
  try {
    // JIT and first-connection costs on a slice, then every driver's first poll
    // (API detection, logins, static facts): reported, but it is not the steady state.
    await pass('warm-up bare', endpoints.slice(0, 500), CONCURRENCY, bareSummary);
    const c0 = await emulator.connections();
    const cold = await measured(emulator, () => pass('first poll (cold)', drivers, CONCURRENCY, readOnce), drivers.length);
    const coldConns = ((await emulator.connections()) - c0) / drivers.length;

    // The agent keeps one driver per miner and polls it again and again: measure
    // that, interleaving the bare loop and the drivers round by round so both see
    // the same machine load, and take the median round of each.
    const bareRounds: PassResult[] = [];
    const realRounds: PassResult[] = [];
    let realConns = 0;
    for (let i = 0; i < ROUNDS; i++) {
      bareRounds.push(await measured(emulator, () => pass('bare TCP summary', endpoints, CONCURRENCY, bareSummary), endpoints.length));
      const before = await emulator.connections();
      realRounds.push(await measured(emulator, () => pass('real drivers read()', drivers, CONCURRENCY, readOnce), drivers.length));
      realConns += (await emulator.connections()) - before;
    }
    const bare = median(bareRounds);
    const real = median(realRounds);
    // Each round's two passes ran back to back under the same load from other jobs; the median of their ratios is the steadiest figure.
    const ratios = realRounds.map((r, i) => r.perSecond / (bareRounds[i] as PassResult).perSecond).sort((a, b) => a - b);
    const ratio = ratios[Math.floor(ratios.length / 2)] as number;
    const connsPerRead = realConns / (drivers.length * ROUNDS);

    // Per firmware, to show where the drivers' time goes (requests per reading differ).
    const perFirmware: Array<[string, PassResult, number]> = [];
    for (const fw of [...new Set(endpoints.map((e) => e.firmware))]) {
      const subset = drivers.filter((d) => d.firmware === fw);
      const before = await emulator.connections();
      const r = await measured(emulator, () => pass(`  ${fw}`, subset, CONCURRENCY, readOnce), subset.length);
      perFirmware.push([fw, r, ((await emulator.connections()) - before) / subset.length]);
    }
    const peakPollerMb = process.resourceUsage().maxRSS / 1024;
    const rates = (rounds: PassResult[]) => rounds.map((r) => r.perSecond.toFixed(0)).join(', ');
    process.stdout.write(`\nconcurrency ${CONCURRENCY}, per-request deadline ${TIMEOUT_MS} ms, ${endpoints.length} miners, median of ${ROUNDS} interleaved rounds (steady state: drivers reused across polls)\n`);
    process.stdout.write(`${row(bare)}  rounds: ${rates(bareRounds)}\n${row(real)}  rounds: ${rates(realRounds)}\n`);
    process.stdout.write(`ratio drivers / bare: ${ratio.toFixed(2)} (median of per-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}; of medians ${(real.perSecond / bare.perSecond).toFixed(2)}); connections per reading: ${connsPerRead.toFixed(2)} (bare: 1)\n`);
    process.stdout.write(`${row(cold)}  conns/read ${coldConns.toFixed(2)}  (each driver's first read: detection, login, static facts)\n`);
    process.stdout.write(`per firmware (each alone, steady state):\n${perFirmware.map(([, r, c]) => `${row(r)}  conns/read ${c.toFixed(2)}`).join('\n')}\n`);
    process.stdout.write(`poller peak RSS ${peakPollerMb.toFixed(0)} MB; emulator peak RSS ${emulator.rssMb().toFixed(0)} MB\n`);
    const counts = new Map<string, number>();
    for (const ep of endpoints) counts.set(ep.firmware, (counts.get(ep.firmware) ?? 0) + 1);
    process.stdout.write(`mix: ${[...counts].map(([f, n]) => `${f} ${n}`).join(', ')}\n`);
    const target = real.perSecond >= 2000 && ratio >= 0.5;
    process.stdout.write(`target (≥ 2000 miners/s and ≥ 0.5 of bare): ${target ? 'met' : 'NOT met'}; load average at start ${startLoad.join(', ')}\n`);
    const result: PollResult = {
      bench: 'poll', miners: endpoints.length, load: startLoad, perSecond: real.perSecond, barePerSecond: bare.perSecond, ratio, p50: real.p50, p99: real.p99,
      pollerRssMb: peakPollerMb, emulatorRssMb: emulator.rssMb(),
    };
    await emitJson(new Map(flags.json ? [['json', flags.json]] : []), result);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`poll bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
