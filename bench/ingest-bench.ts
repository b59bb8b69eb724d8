import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { createLogger } from '../shared/log/logger.js';
import { startEmbeddedBroker } from '../server/broker/embedded-broker.js';
import { postgresUnavailableReason } from '../server/store/contract/pg-test-database.js';
import type { PublisherOptions, PublisherResult } from './ingest-bench-publisher.js';
import { allAcked, checkStored, countSamples, describeCheck, storedOnce, type StoredCheck } from './ingest-bench-checks.js';
import { startCollectors, type StoreKind } from './ingest-bench-collectors.js';
import { runCompare } from './ingest-bench-compare.js';
import { startMeter } from './ingest-bench-meter.js';
import { emitJson, growth, load, parseFlags, passThroughFlags, sweep, brokerReachable } from './bench-common.js';

export interface IngestResult {
  bench: 'ingest';
  sites: number;
  miners: number;
  store: StoreKind;
  collectors: number;
  /** How the collectors ran: in the bench process, or as `hashwatt collector` processes. */
  how: string;
  load: [number, number, number];
  loadEnd: [number, number, number];
  /** First contact: every site's first messages (agents created, caches filled), before the nominal phase. */
  warmup: { seconds: number; published: number; acked: number; settledS: number } | null;
  nominal: {
    msgPerS: number; minerRowsPerS: number; offeredMsgPerS: number; p50: number; p99: number; acked: boolean; gaps: number; cpuPct: number; rssMb: number; diskMbPerHour: number;
    /** PostgreSQL backends serving the collectors, % of one core (null on SQLite). */
    serverCpuPct: number | null;
    storedOnce: boolean;
    check: StoredCheck;
  };
  /** mainPct / writerPct: % of one core of the collector's main and ingest writer threads at saturation. */
  saturation: { collector: number; bare: number; ratio: number; collectorCpuPct: number; mainPct?: number; writerPct?: number } | null;
}

/**
 * npm run bench -- ingest [--store sqlite|postgres] [--collectors N] [--collector-process] [--pool-size 10]
 *                         [--json FILE] [--sites 10000] [--miners 100] [--warmup-s 12] [--nominal-s 60] [--saturate-s 20] [--url mqtt://127.0.0.1:1883]
 * npm run bench -- ingest --compare   (alias --backends): SQLite 1 collector, PostgreSQL 1 and 2 collectors, one after
 *                         the other, each a `hashwatt collector` process on a fresh store, at the nominal load; one table
 *                         (--saturate-s defaults to 0 there)
 * npm run bench -- ingest --sweep [--sizes 1000,10000,50000] (nominal load per size, a fresh process each)
 *
 * --store postgres runs on a fresh database on the PostgreSQL of the tests (127.0.0.1:5432 or
 * HASHWATT_TEST_PG_URL), dropped after. PostgreSQL collectors always run as their own processes
 * (`hashwatt collector --config`), N of them in one MQTT share group (needs Mosquitto); SQLite runs
 * in the bench process unless --collector-process.
 *
 * 0. warm-up (--warmup-s, 0 to skip): the nominal load for a round, so every agent has sent its first
 *    message (agents created, caches filled) and was acked; how long that first contact took is printed.
 *    The nominal phase then measures the steady state, in a new session.
 * 1. nominal: the reference load of docs/operations.md#sizing (10,000 sites, 1,000,000 miners: samples every
 *    10 s, per-miner detail every 60 s) through the real Mosquitto into the
 *    collector(s): sustained rate, p99 publish→ack (commit) latency, CPU, RSS; then the
 *    checks: every message stored exactly once, every seq acked, no gap recorded.
 * 2. saturation: publishers as fast as the broker takes it; the collectors' summed
 *    committed messages/s vs a bare mqtt.js subscriber that only counts the same
 *    stream (the practical limit of one Node process on this broker).
 */
const args = parseFlags();
const SITES = Number(args.get('sites') ?? 10_000);
const MINERS = Number(args.get('miners') ?? 100);
const NOMINAL_S = Number(args.get('nominal-s') ?? 60);
const SATURATE_S = Number(args.get('saturate-s') ?? 20);
const WARMUP_S = Number(args.get('warmup-s') ?? 12);
const STORE = (args.get('store') ?? 'sqlite') as StoreKind;
const COLLECTORS = Number(args.get('collectors') ?? 1);
const POOL_SIZE = Number(args.get('pool-size') ?? 10);
const publisherPath = fileURLToPath(new URL('./ingest-bench-publisher.js', import.meta.url));

function usage(problem: string): never {
  process.stderr.write(`ingest bench: ${problem}\n`);
  process.exit(2);
}


function runPublisherChild(options: PublisherOptions): Promise<PublisherResult> {
  return new Promise((resolve, reject) => {
    const child = fork(publisherPath, ['--child', JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: PublisherResult | undefined;
    child.on('message', (m) => { result = m as PublisherResult; });
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`publisher exited ${code}`))));
  });
}

function runSweep(): Promise<void> {
  const sizes = (args.get('sizes') ?? '1000,10000,50000').split(',').map(Number);
  // The curve is the nominal load at each size; saturation (the ratio) is a separate run.
  const pass = passThroughFlags(args, ['sweep', 'sizes', 'sites', 'json']);
  if (!args.has('saturate-s')) pass.push('--saturate-s', '0');
  if (!args.has('nominal-s')) pass.push('--nominal-s', '30');
  const runs = sweep<IngestResult>(fileURLToPath(import.meta.url), 'sites', sizes, pass);
  process.stdout.write('\n== ingest sweep (nominal reference load per site) ==\nsites    msg/s    rows/s   p99 ms   CPU %   RSS MB   disk MB/h   acked  stored once\n');
  for (const { size, result: r } of runs) {
    const n = r?.nominal;
    process.stdout.write(n ? `${String(size).padEnd(8)} ${n.msgPerS.toFixed(0).padStart(6)} ${n.minerRowsPerS.toFixed(0).padStart(9)} ${n.p99.toFixed(0).padStart(8)} ${n.cpuPct.toFixed(0).padStart(7)} ${n.rssMb.toFixed(0).padStart(8)} ${n.diskMbPerHour.toFixed(0).padStart(11)}   ${n.acked ? 'all' : 'NO '}    ${n.storedOnce ? 'yes' : 'NO'}\n` : `${size}: failed\n`);
  }
  const ok = runs.filter((r) => r.result);
  process.stdout.write(`CPU: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.cpuPct })))}\n`);
  process.stdout.write(`RSS: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.rssMb })))}\n`);
  process.stdout.write(`p99: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.p99 })))}\n`);
  process.stdout.write(`disk per hour: ${growth(ok.map((r) => ({ size: r.size, value: r.result!.nominal.diskMbPerHour })))}\n`);
  return emitJson(args, { bench: 'ingest-sweep', runs });
}

const HELP = `npm run bench -- ingest [flags]
  --store sqlite|postgres   the collector's store (postgres: a fresh database on 127.0.0.1:5432 or HASHWATT_TEST_PG_URL, dropped after)
  --collectors N            PostgreSQL only: N \`hashwatt collector\` processes in one MQTT share group (needs Mosquitto)
  --collector-process       SQLite: run the collector as its own process instead of in the bench process
  --pool-size N             PostgreSQL connections per collector (10)
  --sites N --miners N      the fleet (10000 × 100)
  --warmup-s S              first-contact round before measuring (12; 0 skips)
  --nominal-s S             the measured reference load (60)
  --saturate-s S            saturation vs a bare subscriber (20; 0 skips)
  --url URL                 the broker (mqtt://127.0.0.1:1883; the embedded one when unreachable, 1 collector only)
  --json FILE               the result for \`bench report\`
  --compare (--backends)    SQLite × 1, PostgreSQL × 1 and × 2, each on a fresh store, beside each other (--saturate-s 0 unless given)
  --sweep [--sizes a,b,c]   the nominal load at each size, a fresh process each
Checks printed for every run: every message stored once, every seq acked, no gap recorded.
`;

async function main(): Promise<void> {
  if (args.has('help')) {
    process.stdout.write(HELP);
    return;
  }
  if (args.has('sweep')) return runSweep();
  if (args.has('compare') || args.has('backends')) return runCompare(fileURLToPath(import.meta.url), args);
  if (STORE !== 'sqlite' && STORE !== 'postgres') usage(`--store must be sqlite or postgres (got ${JSON.stringify(STORE)})`);
  if (!Number.isInteger(COLLECTORS) || COLLECTORS < 1) usage(`--collectors must be a whole number ≥ 1 (got ${JSON.stringify(args.get('collectors'))})`);
  if (COLLECTORS > 1 && STORE !== 'postgres') usage('--collectors above 1 needs --store postgres (collectors share ingest only on a shared store)');
  if (STORE === 'postgres') {
    const reason = await postgresUnavailableReason();
    if (reason) usage(reason);
  }
  const startLoad = load();
  let url = args.get('url') ?? 'mqtt://127.0.0.1:1883';
  let embedded: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined;
  if (!(await brokerReachable(url))) {
    if (COLLECTORS > 1) usage(`--collectors ${COLLECTORS} needs an external broker with shared subscriptions; none reachable at ${url}`);
    embedded = await startEmbeddedBroker({ port: 0, log: createLogger({ level: 'warn' }) });
    process.stdout.write(`Mosquitto not reachable at ${url}; using the embedded broker at ${embedded.url} (numbers are not comparable)\n`);
    url = embedded.url;
  }
  const prefix = `b${Date.now().toString(36)}`;
  const setupStart = performance.now();
  const inThisProcess = STORE === 'sqlite' && !args.has('collector-process');
  const collectors = await startCollectors({ kind: STORE, count: COLLECTORS, inThisProcess, brokerUrl: url, prefix, sites: SITES, poolSize: POOL_SIZE });
  process.stdout.write(`ingest bench: ${SITES} sites × ${MINERS} miners = ${SITES * MINERS} miners, broker ${url}; ${collectors.label}${STORE === 'postgres' ? ` (fresh database, pool ${POOL_SIZE} per collector)` : ''}, ready in ${((performance.now() - setupStart) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`nominal load: ${SITES / 10} site samples/s + ${(SITES / 60).toFixed(0)} detail messages/s (${((SITES * MINERS) / 60).toFixed(0)} miner rows/s), ${NOMINAL_S} s\n`);

  const base = { url, prefix, sites: SITES, minersPerSite: MINERS, connections: 4, session: 2 };
  const fmt = (x: number, digits = 0) => x.toFixed(digits);
  let result: IngestResult | undefined;
  const countersSoFar = () => collectors.counters();
  try {
    let warmup: IngestResult['warmup'] = null;
    if (WARMUP_S > 0) {
      // Session 1: each site's first messages. A collector creates the agent on first contact; on
      // PostgreSQL that is store round trips per new agent, a cost of the first minute, not of the load.
      const w = await runPublisherChild({ ...base, session: 1, durationS: WARMUP_S, mode: 'nominal', ackWaitS: 120 });
      warmup = { seconds: WARMUP_S, published: w.published, acked: w.acked, settledS: w.settledS };
      const wc = await countersSoFar();
      process.stdout.write(`warm-up (first contact of every agent): ${w.published} messages in ${fmt(w.elapsedS, 1)} s, ${w.acked} acked${w.acked === w.published ? `, all by ${fmt(w.settledS, 1)} s after the first publish` : ` (NOT all, gave up after ${fmt(w.settledS, 1)} s)`}; p99 publish→ack ${fmt(w.latencyMs?.p99 ?? NaN)} ms\n`);
      const warmCheck = await checkStored(collectors.reader, { session: 1, published: w.published, acked: w.acked, publishedMinerRows: w.publishedMiners, minerRows: wc.minerRows, duplicatesIgnored: wc.duplicates });
      process.stdout.write(`warm-up ${describeCheck(warmCheck).slice(0, 2).join('; ')}; refused by the collectors: ${wc.rejects}\n`);
    }
    const samples0 = await countSamples(collectors.reader);
    const rejects0 = (await collectors.counters()).rejects;
    const db0 = await collectors.storeBytes();
    let stop = collectors.meter();
    const c0 = await collectors.counters();
    const nominal = await runPublisherChild({ ...base, durationS: NOMINAL_S, mode: 'nominal' });
    const nominalMeter = await stop();
    const c1 = await collectors.counters();
    const nominalMsgs = c1.messages - c0.messages;
    const nominalRows = c1.minerRows - c0.minerRows;
    const check = await checkStored(collectors.reader, { session: base.session, samplesBefore: samples0, published: nominal.published, acked: nominal.acked, publishedMinerRows: nominal.publishedMiners, minerRows: nominalRows, duplicatesIgnored: c1.duplicates - c0.duplicates });
    const db1 = await collectors.storeBytes();
    const diskMbPerHour = ((db1 - db0) / 2 ** 20 / nominal.elapsedS) * 3600;

    let collectorRate = NaN, bareRate = NaN, satCpuPct = NaN;
    let satThreads = { mainPct: NaN, writerPct: NaN };
    let satLine = 'collector: skipped (--saturate-s 0)', bareLine = 'bare mqtt.js subscriber: skipped';
    if (SATURATE_S > 0) {
      // Saturation through the collectors: committed messages per second over the middle of the run.
      stop = collectors.meter();
      const satPub = runPublisherChild({ ...base, session: 3, durationS: SATURATE_S, mode: 'saturate' });
      await new Promise((r) => setTimeout(r, 3000));
      const a = { c: await collectors.counters(), t: performance.now() };
      await new Promise((r) => setTimeout(r, (SATURATE_S - 5) * 1000));
      const b = { c: await collectors.counters(), t: performance.now() };
      const sat = await satPub;
      const satMeter = await stop();
      collectorRate = ((b.c.messages - a.c.messages) / (b.t - a.t)) * 1000;
      satCpuPct = satMeter.cpuPct;
      satThreads = { mainPct: satMeter.mainThreadPct, writerPct: satMeter.busiestOtherThreadPct };
      const commitShare = (((b.c.commitSeconds - a.c.commitSeconds) * 1000) / (b.t - a.t) / COLLECTORS) * 100;
      satLine = `collector${COLLECTORS > 1 ? `s (${COLLECTORS}, summed)` : ''}: ${fmt(collectorRate)} committed messages/s (publisher offered ${fmt(sat.published / sat.elapsedS)}/s), CPU ${fmt(satMeter.cpuPct)} % (main thread${COLLECTORS > 1 ? 's' : ''} ${fmt(satMeter.mainThreadPct)} %, busiest other thread ${fmt(satMeter.busiestOtherThreadPct)} % of a core)${satMeter.serverCpuPct === null ? '' : `, PostgreSQL backends ${fmt(satMeter.serverCpuPct)} %`}, peak RSS ${fmt(satMeter.rssMb)} MB, ${fmt(commitShare)} % of the time in batch commits${COLLECTORS > 1 ? ' per collector' : ''}${inThisProcess ? `, event-loop delay max ${fmt(satMeter.loopMaxMs)} ms` : ''}`;
    }
    await collectors.close();
    if (SATURATE_S > 0) {
      // The same stream to a bare subscriber that only counts.
      const bare = await mqtt.connectAsync(url, { clientId: `${prefix}-bare`, protocolVersion: 5, clean: true });
      let count = 0;
      bare.on('message', () => { count++; });
      await bare.subscribeAsync(`hashwatt/v1/+/+/telemetry`, { qos: 1 });
      const bareStop = startMeter({ pids: [process.pid], inThisProcess: true });
      const barePub = runPublisherChild({ ...base, session: 4, durationS: SATURATE_S, mode: 'saturate' });
      await new Promise((r) => setTimeout(r, 3000));
      const c = { n: count, t: performance.now() };
      await new Promise((r) => setTimeout(r, (SATURATE_S - 5) * 1000));
      const d = { n: count, t: performance.now() };
      const bareSat = await barePub;
      const bareMeter = await bareStop();
      await bare.endAsync();
      bareRate = ((d.n - c.n) / (d.t - c.t)) * 1000;
      bareLine = `bare mqtt.js subscriber: ${fmt(bareRate)} messages/s (publisher offered ${fmt(bareSat.published / bareSat.elapsedS)}/s), CPU ${fmt(bareMeter.cpuPct)} %`;
    }
    const endLoad = load();
    const checksOk = storedOnce(check) && allAcked(check) && check.gaps === 0;
    const lines = [
      '',
      `== nominal load (the reference load of docs/operations.md#sizing), ${collectors.label} ==`,
      `published ${nominal.published} messages (${nominal.publishedMiners} miner rows) in ${fmt(nominal.elapsedS, 1)} s; collector${COLLECTORS > 1 ? 's' : ''} accepted ${nominalMsgs} messages, ${nominalRows} miner rows`,
      `sustained ingest: ${fmt(nominalMsgs / nominal.elapsedS)} messages/s, ${fmt(nominalRows / nominal.elapsedS)} miner rows/s (offered ${fmt(nominal.published / nominal.elapsedS)} messages/s)`,
      `publish→commit (ack) latency: p50 ${fmt(nominal.latencyMs?.p50 ?? NaN)} ms, p99 ${fmt(nominal.latencyMs?.p99 ?? NaN)} ms, max ${fmt(nominal.latencyMs?.max ?? NaN)} ms; acked ${nominal.acked}/${nominal.published}`,
      `collector CPU ${fmt(nominalMeter.cpuPct)} % of one core${COLLECTORS > 1 ? ` (sum of ${COLLECTORS} processes)` : ''}${nominalMeter.serverCpuPct === null ? '' : `, PostgreSQL backends ${fmt(nominalMeter.serverCpuPct)} %`}, peak RSS ${fmt(nominalMeter.rssMb)} MB${COLLECTORS > 1 ? ' (sum)' : ''}, store ${fmt(db1 / 2 ** 20)} MB (${fmt(diskMbPerHour)} MB per hour at this load)${inThisProcess ? `; event-loop delay p99 ${fmt(nominalMeter.loopP99Ms)} ms, max ${fmt(nominalMeter.loopMaxMs)} ms` : ''}`,
      ...describeCheck(check),
      `refused by the collectors (hashwatt_ingest_rejects_total, e.g. store_error): ${c1.rejects - rejects0}${collectors.logFiles.length && !checksOk ? `; collector logs (warn and up), kept: ${collectors.logFiles.join(', ')}` : ''}`,
      '',
      '== saturation ==',
      satLine,
      bareLine,
      `ratio collector / bare: ${fmt(collectorRate / bareRate, 2)}`,
      '',
      `load average at start ${startLoad.join(', ')}, at end ${endLoad.join(', ')}`,
      `targets: p99 ≤ 1000 ms: ${(nominal.latencyMs?.p99 ?? Infinity) <= 1000 ? 'met' : 'MISSED'}; keeps up (acked all): ${allAcked(check) ? 'yes' : 'NO'}; stored once: ${storedOnce(check) ? 'yes' : 'NO'}; no gaps: ${check.gaps === 0 ? 'yes' : 'NO'}; ratio ≥ 0.85: ${collectorRate / bareRate >= 0.85 ? 'met' : SATURATE_S > 0 ? 'MISSED' : 'not run'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    // The collectors' logs are kept only when a check failed: that is when someone reads them.
    if (checksOk) await Promise.all(collectors.logFiles.map((f) => rm(f, { force: true })));
    result = {
      bench: 'ingest', sites: SITES, miners: MINERS, store: STORE, collectors: COLLECTORS, how: collectors.label, load: startLoad, loadEnd: endLoad, warmup,
      nominal: {
        msgPerS: nominalMsgs / nominal.elapsedS, minerRowsPerS: nominalRows / nominal.elapsedS, offeredMsgPerS: nominal.published / nominal.elapsedS,
        p50: nominal.latencyMs?.p50 ?? NaN, p99: nominal.latencyMs?.p99 ?? NaN,
        acked: allAcked(check), gaps: check.gaps, cpuPct: nominalMeter.cpuPct, rssMb: nominalMeter.rssMb, diskMbPerHour, serverCpuPct: nominalMeter.serverCpuPct,
        storedOnce: storedOnce(check), check,
      },
      saturation: SATURATE_S > 0 ? { collector: collectorRate, bare: bareRate, ratio: collectorRate / bareRate, collectorCpuPct: satCpuPct, ...satThreads } : null,
    };
  } catch (err) {
    await collectors.close().catch(() => undefined);
    throw err;
  } finally {
    if (embedded) await embedded.stop();
  }
  await emitJson(args, result);
}

main().catch((err: unknown) => {
  process.stderr.write(`ingest bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
