import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { createLogger } from '../shared/log/logger.js';
import { writeKeyPair } from '../shared/signing/key-files.js';
import { CollectorConfigSchema } from '../server/config/collector-config.js';
import { createCollector, type Collector } from '../server/main.js';
import { startEmbeddedBroker } from '../server/broker/embedded-broker.js';
import type { PublisherOptions, PublisherResult } from './ingest-bench-publisher.js';
import { emitJson, growth, load, parseFlags, passThroughFlags, sweep } from './bench-common.js';

export interface IngestResult {
  bench: 'ingest';
  sites: number;
  miners: number;
  load: [number, number, number];
  nominal: { msgPerS: number; minerRowsPerS: number; p50: number; p99: number; acked: boolean; gaps: number; cpuPct: number; rssMb: number; diskMbPerHour: number };
  /** mainPct / writerPct: % of one core of the collector's main and ingest writer threads at saturation. */
  saturation: { collector: number; bare: number; ratio: number; collectorCpuPct: number; mainPct?: number; writerPct?: number } | null;
}

/**
 * npm run bench -- ingest --sweep [--sizes 1000,10000,50000] (nominal load per size, a fresh process each)
 * npm run bench -- ingest [--json FILE] [--sites 10000] [--miners 100] [--nominal-s 60] [--saturate-s 20] [--url mqtt://127.0.0.1:1883]
 *
 * 1. nominal: the reference load of docs/operations.md#sizing (10,000 sites, 1,000,000 miners: samples every
 *    10 s, per-miner detail every 60 s) through the real Mosquitto into the
 *    collector: sustained rate, p99 publish→ack (commit) latency, CPU, RSS.
 * 2. saturation: publishers as fast as the broker takes it; the collector's
 *    committed messages/s vs a bare mqtt.js subscriber that only counts the same
 *    stream (the practical limit of one Node process on this broker).
 */
const args = parseFlags();
const SITES = Number(args.get('sites') ?? 10_000);
const MINERS = Number(args.get('miners') ?? 100);
const NOMINAL_S = Number(args.get('nominal-s') ?? 60);
const SATURATE_S = Number(args.get('saturate-s') ?? 20);
const publisherPath = fileURLToPath(new URL('./ingest-bench-publisher.js', import.meta.url));

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port || 1883) });
    s.setTimeout(2000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function runPublisherChild(options: PublisherOptions): Promise<PublisherResult> {
  return new Promise((resolve, reject) => {
    const child = fork(publisherPath, ['--child', JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: PublisherResult | undefined;
    child.on('message', (m) => { result = m as PublisherResult; });
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`publisher exited ${code}`))));
  });
}

async function counterSum(c: Collector, name: 'messages' | 'minerRows' | 'samples'): Promise<number> {
  return (await c.metrics[name].get()).values.reduce((a, v) => a + v.value, 0);
}

/** utime + stime clock ticks of each thread of this process (Linux /proc; empty elsewhere). */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(f[11]) + Number(f[12]));
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return out;
}

/**
 * CPU share and peak RSS of this process over a phase, and of its main thread
 * vs the busiest other thread (the ingest writer when the collector runs):
 * which one is the limit shows as the one near 100 % of a core.
 */
function meter() {
  const threads0 = threadTicks();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rss = process.memoryUsage.rss();
  const timer = setInterval(() => { rss = Math.max(rss, process.memoryUsage.rss()); }, 500);
  return () => {
    clearInterval(timer);
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const elapsedS = (performance.now() - t0) / 1000;
    const pctOf = (tid: string, now: Map<string, number>) => ((now.get(tid)! - (threads0.get(tid) ?? 0)) / 100 / elapsedS) * 100; // 100 ticks/s on Linux
    const threads1 = threadTicks();
    const main = threads1.has(String(process.pid)) ? pctOf(String(process.pid), threads1) : NaN;
    const others = [...threads1.keys()].filter((t) => t !== String(process.pid)).map((t) => pctOf(t, threads1)).sort((a, b) => b - a);
    return { mainThreadPct: main, busiestOtherThreadPct: others[0] ?? NaN, cpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100, rssMb: Math.max(rss, process.memoryUsage.rss()) / 2 ** 20, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 };
  };
}

async function main(): Promise<void> {
  if (args.has('sweep')) {
    const sizes = (args.get('sizes') ?? '1000,10000,50000').split(',').map(Number);
    // The curve is the nominal load at each size; saturation (the ratio) is a separate run.
    const pass = passThroughFlags(args, ['sweep', 'sizes', 'sites', 'json']);
    if (!args.has('saturate-s')) pass.push('--saturate-s', '0');
    if (!args.has('nominal-s')) pass.push('--nominal-s', '30');
    const runs = sweep<IngestResult>(fileURLToPath(import.meta.url), 'sites', sizes, pass);
    process.stdout.write('\n== ingest sweep (nominal reference load per site) ==\nsites    msg/s    rows/s   p99 ms   CPU %   RSS MB   disk MB/h   acked\n');
    for (const { size, result: r } of runs) {
      const n = r?.nominal;
      process.stdout.write(n ? `${String(size).padEnd(8)} ${n.msgPerS.toFixed(0).padStart(6)} ${n.minerRowsPerS.toFixed(0).padStart(9)} ${n.p99.toFixed(0).padStart(8)} ${n.cpuPct.toFixed(0).padStart(7)} ${n.rssMb.toFixed(0).padStart(8)} ${n.diskMbPerHour.toFixed(0).padStart(11)}   ${n.acked ? 'all' : 'NO'}\n` : `${size}: failed\n`);
    }
    const ok = runs.filter((r) => r.result);
    process.stdout.write(`CPU: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.cpuPct })))}\n`);
    process.stdout.write(`RSS: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.rssMb })))}\n`);
    process.stdout.write(`p99: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.p99 })))}\n`);
    process.stdout.write(`disk per hour: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.diskMbPerHour })))}\n`);
    await emitJson(args, { bench: 'ingest-sweep', runs });
    return;
  }
  const startLoad = load();
  let url = args.get('url') ?? 'mqtt://127.0.0.1:1883';
  let embedded: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined;
  if (!(await reachable(url))) {
    embedded = await startEmbeddedBroker({ port: 0, log: createLogger({ level: 'warn' }) });
    process.stdout.write(`Mosquitto not reachable at ${url}; using the embedded broker at ${embedded.url} (numbers are not comparable)\n`);
    url = embedded.url;
  }
  const prefix = `b${Date.now().toString(36)}`;
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-ingest-bench-'));
  const keys = await writeKeyPair(join(dir, 'keys'));
  const config = CollectorConfigSchema.parse({
    broker: { url, clientId: `${prefix}-collector` },
    dataDir: dir,
    signing: { privateKeyFile: keys.privateKeyPath, publicKeyFile: keys.publicKeyPath },
    http: { host: '127.0.0.1', port: 0 },
    ingest: { clientId: `${prefix}-collector`, sessionExpiryS: 60 },
    sites: Array.from({ length: SITES }, (_, i) => ({ id: `${prefix}-s${i}`, name: `Site ${i}`, allocationKw: 400, region: `r${i % 20}` })),
  });
  const collector = createCollector({ config, log: createLogger({ level: 'warn' }) });
  await collector.start();
  process.stdout.write(`ingest bench: ${SITES} sites × ${MINERS} miners = ${SITES * MINERS} miners, broker ${url}\n`);
  process.stdout.write(`nominal load: ${SITES / 10} site samples/s + ${(SITES / 60).toFixed(0)} detail messages/s (${((SITES * MINERS) / 60).toFixed(0)} miner rows/s), ${NOMINAL_S} s\n`);

  const base = { url, prefix, sites: SITES, minersPerSite: MINERS, connections: 4, session: 1 };
  const dbBytes = () => collector.store.sizeBytes();
  const db0 = await dbBytes();
  let stop = meter();
  const m0 = await counterSum(collector, 'messages');
  const r0 = await counterSum(collector, 'minerRows');
  const nominal = await runPublisherChild({ ...base, durationS: NOMINAL_S, mode: 'nominal' });
  const nominalMeter = stop();
  const nominalMsgs = (await counterSum(collector, 'messages')) - m0;
  const nominalRows = (await counterSum(collector, 'minerRows')) - r0;
  // Every seq is published once and the broker delivers all of them: a gap here is the collector's error.
  const nominalGaps = (await collector.store.telemetry.gaps()).length;
  const dbMb = (await dbBytes()) / 2 ** 20;
  const diskMbPerHour = (((await dbBytes()) - db0) / 2 ** 20 / nominal.elapsedS) * 3600;

  const fmt = (x: number, digits = 0) => x.toFixed(digits);
  let collectorRate = NaN, bareRate = NaN;
  let satCpuPct = NaN;
  let satThreads = { mainPct: NaN, writerPct: NaN };
  let satLine = 'collector: skipped (--saturate-s 0)', bareLine = 'bare mqtt.js subscriber: skipped';
  if (SATURATE_S > 0) {
    // Saturation through the collector: committed messages per second over the middle of the run.
    stop = meter();
    const satPub = runPublisherChild({ ...base, session: 2, durationS: SATURATE_S, mode: 'saturate' });
    await new Promise((r) => setTimeout(r, 3000));
    const commitSum = async () => (await collector.metrics.commit.get()).values.find((v) => v.metricName === 'hashwatt_ingest_batch_commit_seconds_sum')?.value ?? 0;
    const a = { n: await counterSum(collector, 'messages'), t: performance.now(), commit: await commitSum() };
    await new Promise((r) => setTimeout(r, (SATURATE_S - 5) * 1000));
    const b = { n: await counterSum(collector, 'messages'), t: performance.now(), commit: await commitSum() };
    const sat = await satPub;
    const satMeter = stop();
    collectorRate = ((b.n - a.n) / (b.t - a.t)) * 1000;
    satCpuPct = satMeter.cpuPct;
    satThreads = { mainPct: satMeter.mainThreadPct, writerPct: satMeter.busiestOtherThreadPct };
    await collector.stop();

    // The same stream to a bare subscriber that only counts.
    const bare = await mqtt.connectAsync(url, { clientId: `${prefix}-bare`, protocolVersion: 5, clean: true });
    let count = 0;
    bare.on('message', () => { count++; });
    await bare.subscribeAsync(`hashwatt/v1/+/+/telemetry`, { qos: 1 });
    stop = meter();
    const barePub = runPublisherChild({ ...base, session: 3, durationS: SATURATE_S, mode: 'saturate' });
    await new Promise((r) => setTimeout(r, 3000));
    const c = { n: count, t: performance.now() };
    await new Promise((r) => setTimeout(r, (SATURATE_S - 5) * 1000));
    const d = { n: count, t: performance.now() };
    const bareSat = await barePub;
    const bareMeter = stop();
    await bare.endAsync();
    bareRate = ((d.n - c.n) / (d.t - c.t)) * 1000;
    satLine = `collector: ${fmt(collectorRate)} committed messages/s (publisher offered ${fmt(sat.published / sat.elapsedS)}/s), CPU ${fmt(satMeter.cpuPct)} % (main thread ${fmt(satMeter.mainThreadPct)} %, writer thread ${fmt(satMeter.busiestOtherThreadPct)} % of a core), peak RSS ${fmt(satMeter.rssMb)} MB, ${fmt(((b.commit - a.commit) * 1000) / (b.t - a.t) * 100)} % of the time in batch commits, event-loop delay max ${fmt(satMeter.loopMaxMs)} ms`;
    bareLine = `bare mqtt.js subscriber: ${fmt(bareRate)} messages/s (publisher offered ${fmt(bareSat.published / bareSat.elapsedS)}/s), CPU ${fmt(bareMeter.cpuPct)} %`;
  }
  if (SATURATE_S === 0) await collector.stop();
  const lines = [
    '',
    '== nominal load (the reference load of docs/operations.md#sizing) ==',
    `published ${nominal.published} messages (${nominal.publishedMiners} miner rows) in ${fmt(nominal.elapsedS, 1)} s; collector accepted ${nominalMsgs} messages, ${nominalRows} miner rows`,
    `sustained ingest: ${fmt(nominalMsgs / nominal.elapsedS)} messages/s, ${fmt(nominalRows / nominal.elapsedS)} miner rows/s`,
    `publish→commit (ack) latency: p50 ${fmt(nominal.latencyMs?.p50 ?? NaN)} ms, p99 ${fmt(nominal.latencyMs?.p99 ?? NaN)} ms, max ${fmt(nominal.latencyMs?.max ?? NaN)} ms; acked ${nominal.acked}/${nominal.published}`,
    `telemetry gaps recorded: ${nominalGaps} (every seq is published once, so any gap is an ingest error)`,
    `collector CPU ${fmt(nominalMeter.cpuPct)} % of one core, peak RSS ${fmt(nominalMeter.rssMb)} MB, database ${fmt(dbMb)} MB (${fmt(diskMbPerHour)} MB per hour at this load); event-loop delay p99 ${fmt(nominalMeter.loopP99Ms)} ms, max ${fmt(nominalMeter.loopMaxMs)} ms`,
    '',
    '== saturation ==',
    satLine,
    bareLine,
    `ratio collector / bare: ${fmt(collectorRate / bareRate, 2)}`,
    '',
    `load average at start ${startLoad.join(', ')}, at end ${load().join(', ')}`,
    `targets: p99 ≤ 1000 ms: ${(nominal.latencyMs?.p99 ?? Infinity) <= 1000 ? 'met' : 'MISSED'}; keeps up (acked all): ${nominal.acked === nominal.published ? 'yes' : 'NO'}; no gaps: ${nominalGaps === 0 ? 'yes' : 'NO'}; ratio ≥ 0.85: ${collectorRate / bareRate >= 0.85 ? 'met' : 'MISSED'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const result: IngestResult = {
    bench: 'ingest', sites: SITES, miners: MINERS, load: startLoad,
    nominal: {
      msgPerS: nominalMsgs / nominal.elapsedS, minerRowsPerS: nominalRows / nominal.elapsedS, p50: nominal.latencyMs?.p50 ?? NaN, p99: nominal.latencyMs?.p99 ?? NaN,
      acked: nominal.acked === nominal.published, gaps: nominalGaps, cpuPct: nominalMeter.cpuPct, rssMb: nominalMeter.rssMb, diskMbPerHour,
    },
    saturation: SATURATE_S > 0 ? { collector: collectorRate, bare: bareRate, ratio: collectorRate / bareRate, collectorCpuPct: satCpuPct, ...satThreads } : null,
  };
  await emitJson(args, result);
  if (embedded) await embedded.stop();
  await rm(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`ingest bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
