/**
 * Poll benchmark (`npm run bench -- poll [flags]`): 10,000 emulated miners on
 * their own 127.x addresses, polled once each by the real drivers at a fixed
 * concurrency, beside a bare TCP loop (connect, send summary, read to NUL,
 * close; no parsing) against the same emulator as the practical ceiling.
 *
 * The emulator runs as a child `hashwatt sim` process by default so the
 * poller's numbers are its own (both still share the machine's cores);
 * --in-process runs it in this process instead.
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

const { values: flags } = parseArgs({
  options: {
    miners: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '256' },
    bind: { type: 'string', default: '127.77.0.0/16' },
    'timeout-ms': { type: 'string', default: '3000' },
    mix: { type: 'string', default: 'antminer:40,luxos:20,braiins:20,whatsminer:20' },
    'in-process': { type: 'boolean', default: false },
  },
});
const MINERS = Number(flags.miners);
const CONCURRENCY = Number(flags.concurrency);
const TIMEOUT_MS = Number(flags['timeout-ms']);

interface PassResult {
  name: string;
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
  rssMb: () => number;
  connections: () => Promise<number>;
  stop: () => Promise<void>;
}

async function startEmulator(): Promise<Emulator> {
  if (flags['in-process']) {
    const fleet: Fleet = await startFleet({ miners: MINERS, bind: flags.bind, mix: parseMixLoose(flags.mix) });
    return {
      endpoints: fleet.endpoints(),
      rssMb: () => process.memoryUsage().rss / 2 ** 20,
      connections: async () => fleet.connectionsAccepted(),
      stop: () => fleet.stop(),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-bench-'));
  const file = join(dir, 'endpoints.json');
  const bin = new URL('../bin/hashwatt.js', import.meta.url).pathname;
  const child: ChildProcess = spawn(process.execPath, [bin, 'sim', '--miners', String(MINERS), '--bind', flags.bind, '--mix', flags.mix, '--endpoints', file, '--admin-port', '0'], {
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
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as FleetEndpoint[];
  rmSync(dir, { recursive: true, force: true });
  const adminUrl = /admin\s+(http:\S+)/.exec(out)?.[1];
  return {
    endpoints,
    rssMb: () => peakRssMb(child.pid as number),
    connections: async () => ((await (await fetch(`${adminUrl}/stats`)).json()) as { connectionsAccepted: number }).connectionsAccepted,
    stop: () =>
      new Promise((resolve) => {
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

function row(r: PassResult): string {
  return `${r.name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(8)} miners/s  p50 ${r.p50.toFixed(1).padStart(7)} ms  p99 ${r.p99.toFixed(1).padStart(7)} ms  ok ${r.ok}  failed ${r.failed}${r.firstError ? `  (first: ${r.firstError})` : ''}`;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const emulator = await startEmulator();
  const { endpoints } = emulator;
  process.stdout.write(`emulator: ${endpoints.length} miners on ${flags.bind} ${flags['in-process'] ? 'in this process' : 'in a child process'}, up in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const drivers: MinerDriver[] = endpoints.map((ep) => createMinerDriver(ep.firmware, ep, { requestTimeoutMs: TIMEOUT_MS }));
  const readOnce = async (d: MinerDriver): Promise<string | null> => {
    const r = await d.read();
    return r.state === 'offline' || r.state === 'error' ? `${d.endpoint.id}: ${r.error ?? r.state}` : null;
  };
  try {
    // Warm both paths (JIT, first-connection costs) on a slice before measuring.
    await pass('warm-up bare', endpoints.slice(0, 500), CONCURRENCY, bareSummary);
    await pass('warm-up drivers', drivers.slice(0, 500), CONCURRENCY, readOnce);
    const bare = await pass('bare TCP summary', endpoints, CONCURRENCY, bareSummary);
    const rssAfterBare = process.memoryUsage().rss / 2 ** 20;
    const connsBefore = await emulator.connections();
    const real = await pass('real drivers read()', drivers, CONCURRENCY, readOnce);
    const connsPerRead = ((await emulator.connections()) - connsBefore) / drivers.length;
    // Per firmware, to show where the drivers' time goes (requests per reading differ).
    const perFirmware: Array<[string, PassResult, number]> = [];
    for (const fw of [...new Set(endpoints.map((e) => e.firmware))]) {
      const subset = drivers.filter((d) => d.firmware === fw);
      const c0 = await emulator.connections();
      const r = await pass(`  ${fw}`, subset, CONCURRENCY, readOnce);
      perFirmware.push([fw, r, ((await emulator.connections()) - c0) / subset.length]);
    }
    const peakPollerMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`\nconcurrency ${CONCURRENCY}, per-request deadline ${TIMEOUT_MS} ms, one poll of every miner\n`);
    process.stdout.write(`${row(bare)}\n${row(real)}\n`);
    process.stdout.write(`ratio drivers / bare: ${(real.perSecond / bare.perSecond).toFixed(2)}; connections per reading: ${connsPerRead.toFixed(2)} (bare: 1)\n`);
    process.stdout.write(`per firmware (each alone):\n${perFirmware.map(([, r, c]) => `${row(r)}  conns/read ${c.toFixed(2)}`).join('\n')}\n`);
    process.stdout.write(`poller RSS: ${rssAfterBare.toFixed(0)} MB after bare loop, peak ${peakPollerMb.toFixed(0)} MB; emulator peak RSS ${emulator.rssMb().toFixed(0)} MB\n`);
    const counts = new Map<string, number>();
    for (const ep of endpoints) counts.set(ep.firmware, (counts.get(ep.firmware) ?? 0) + 1);
    process.stdout.write(`mix: ${[...counts].map(([f, n]) => `${f} ${n}`).join(', ')}\n`);
    const target = real.perSecond >= 2000 && real.perSecond / bare.perSecond >= 0.5;
    process.stdout.write(`target (≥ 2000 miners/s and ≥ 0.5 of bare): ${target ? 'met' : 'NOT met'}\n`);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`poll bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
