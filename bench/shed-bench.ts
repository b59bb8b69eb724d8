import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createMeterDriver, MeterConfigSchema, type MeterDriver } from '../agent/drivers/meters/index.js';
import { startDemo } from '../server/demo/start-demo.js';
import { createLogger } from '../shared/log/logger.js';
import { REAL_TIMING_MS } from '../sim/fleet/simulated-miner.js';
import { shedTimes, percentile, type MeterTrace } from './shed-bench-meters.js';
import { brokerReachable } from './bench-common.js';

/**
 * npm run bench -- shed [--sites 20] [--miners 3000] [--count 2500] [--time-factor 1]
 *                       [--url mqtt://127.0.0.1:1883 | --embedded] [--hold-s 40]
 *                       [--priority emergency|normal] [--skip-restore]
 *
 * The demo's world (emulated miners of four firmwares at real firmware
 * delays, a Modbus meter per site, one agent per site, the collector) on the
 * real broker. A grid-role POST /api/v1/events of `sleep_count` at emergency
 * priority; each site meter is read over Modbus every 100 ms and the time
 * from the POST to 50, 90 and 100 % of the site's planned shed is reported,
 * p50/p99/max over sites, beside the firmware floor (the emulator's pause
 * time); "100 %" is 98 % of the plan (shed-bench-meters.ts says why). Then the event is cancelled and the restore, at normal priority, is
 * timed the same way. Done-when: 90 % of the planned kW off within 16 s, every site.
 */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i]!.replace(/^--/, '');
  const next = process.argv[i + 1];
  if (next === undefined || next.startsWith('--')) args.set(key, 'true');
  else args.set(key, next), i++;
}
const SITES = Number(args.get('sites') ?? 20);
const MINERS = Number(args.get('miners') ?? 3000);
const COUNT = Number(args.get('count') ?? Math.round((MINERS * 2500) / 3000));
const PRIORITY = args.get('priority') ?? 'emergency';
const RESTORE = !args.has('skip-restore');
const TIME_FACTOR = Number(args.get('time-factor') ?? 1);
const HOLD_S = Number(args.get('hold-s') ?? 40);
const URL_ARG = args.get('url') ?? 'mqtt://127.0.0.1:1883';
const METER_EVERY_MS = 100;
const log = createLogger({ level: 'warn' });


function http(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${token}`, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const s1 = (ms: number | null) => (ms === null ? '   —  ' : `${(ms / 1000).toFixed(2).padStart(6)}`);

async function main(): Promise<void> {
  const useEmbedded = args.has('embedded') || !(await brokerReachable(URL_ARG));
  if (!args.has('embedded') && useEmbedded) process.stdout.write(`(no broker at ${URL_ARG}: using the collector's embedded broker)\n`);
  const dataDir = await mkdtemp(join(tmpdir(), 'hashwatt-shed-'));
  const prefix = `shed${process.pid}-`;
  process.stdout.write(`starting ${SITES} sites, ${MINERS} miners (time factor ${TIME_FACTOR}) on ${useEmbedded ? 'the embedded broker' : URL_ARG}…\n`);
  const demo = await startDemo({
    sites: SITES, miners: MINERS, timeFactor: TIME_FACTOR, dataDir, siteIdPrefix: prefix, log, ownSitesOnly: true,
    // The demo's over-allocation site would be auto-enforced (a limit of its own) if the start is slow.
    compliance: { graceS: 3600 },
    ...(useEmbedded ? { httpPort: 0, mqttPort: 0 } : { httpPort: 0, mqttUrl: URL_ARG }),
    // Restore right after the hold: the minimum sleep time is policy, not speed.
    agentCurtailment: { minSleepS: Math.min(HOLD_S, 30) },
  });
  const meters = new Map<string, MeterDriver>();
  let stopSampling = false;
  const traces = new Map<string, MeterTrace>();
  try {
    const grid = demo.tokens.grid;
    const minersOf = new Map(demo.sites.map((s) => [s.id, s.miners]));
    // Every miner read hashing, and every site's miner detail stored (the planner uses it).
    await until('every miner hashing and in the miners table', 240_000, async () => {
      const { body } = await http('GET', `${demo.httpUrl}/api/v1/sites`, demo.tokens.viewer);
      const ours = (body.sites as any[]).filter((s) => minersOf.has(s.id));
      if (ours.length < SITES || ours.some((s) => s.counts.hashing !== minersOf.get(s.id))) return false;
      for (const s of ours) {
        const t = await http('GET', `${demo.httpUrl}/api/v1/sites/${s.id}/miners?limit=1`, demo.tokens.viewer);
        if (t.body.total !== minersOf.get(s.id)) return false;
      }
      return true;
    }, 1000);

    for (const site of demo.demoSites) {
      const m = createMeterDriver(MeterConfigSchema.parse({ driver: 'modbus-tcp', host: site.meter.host, port: site.meter.port, preset: site.plan.meterPreset, timeoutMs: 2000 }), { log });
      await m.start();
      meters.set(site.plan.id, m);
      traces.set(site.plan.id, []);
    }
    // Meter sampling: every site every 100 ms, timestamped when the reading arrives.
    const sampling = (async () => {
      while (!stopSampling) {
        const t = Date.now();
        await Promise.all([...meters].map(async ([id, m]) => {
          const r = await m.read();
          if (r.powerKw !== null) traces.get(id)!.push({ t: Date.now(), kw: r.powerKw });
        }));
        await new Promise((r) => setTimeout(r, Math.max(0, METER_EVERY_MS - (Date.now() - t))));
      }
    })();
    // The live counts, once a second, as an operator's dashboard reads them.
    const sleepingSeries: Array<{ t: number; sleeping: number; offline: number }> = [];
    let countsTimer: NodeJS.Timeout | undefined;
    const readCounts = async () => {
      const { body } = await http('GET', `${demo.httpUrl}/api/v1/sites`, demo.tokens.viewer);
      const ours = (body.sites as any[]).filter((s) => minersOf.has(s.id));
      sleepingSeries.push({ t: Date.now(), sleeping: ours.reduce((a, s) => a + s.counts.sleeping, 0), offline: ours.reduce((a, s) => a + s.counts.offline, 0) });
    };
    await new Promise((r) => setTimeout(r, 3000)); // baseline
    countsTimer = setInterval(() => void readCounts().catch(() => undefined), 1000);
    await http('GET', `${demo.httpUrl}/api/v1/events?limit=1`, grid); // warm the HTTP client

    const loadAtPost = loadavg()[0]!;
    const postAt = Date.now();
    const created = await http('POST', `${demo.httpUrl}/api/v1/events`, grid, { scope: { sites: [...minersOf.keys()] }, kind: 'sleep_count', value: COUNT, durationS: 3600, priority: PRIORITY, reason: 'shed bench' });
    if (created.status !== 201) throw new Error(`POST /api/v1/events answered ${created.status}: ${JSON.stringify(created.body)}`);
    const event = created.body;
    const planned = new Map<string, number>((event.targets as any[]).map((t) => [t.site, t.shedKw]));
    const baselineOf = (id: string) => {
      const pre = traces.get(id)!.filter((p) => p.t < postAt && p.t >= postAt - 2500);
      return pre.reduce((a, p) => a + p.kw, 0) / Math.max(1, pre.length);
    };
    const baseline = new Map([...planned.keys()].map((id) => [id, baselineOf(id)]));
    const shedAt = (id: string, from: number) => shedTimes(traces.get(id)!, from, baseline.get(id)!, planned.get(id)!, 'down');
    await until('every site at 100 % of its planned shed', 120_000, async () => [...planned.keys()].every((id) => shedAt(id, postAt).t100 !== null), 500).catch(() => undefined);
    const holdUntil = postAt + HOLD_S * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, holdUntil - Date.now())));
    clearInterval(countsTimer);
    const shed = new Map([...planned.keys()].map((id) => [id, shedAt(id, postAt)]));
    const settled = new Map([...planned.keys()].map((id) => {
      const tail = traces.get(id)!.filter((p) => p.t >= Date.now() - 3000);
      return [id, baseline.get(id)! - tail.reduce((a, p) => a + p.kw, 0) / Math.max(1, tail.length)];
    }));

    // Restore: cancel; the agents wake their miners at normal priority (ramped).
    const shedLevel = new Map([...planned.keys()].map((id) => {
      const tail = traces.get(id)!.filter((p) => p.t >= Date.now() - 2000);
      return [id, tail.reduce((a, p) => a + p.kw, 0) / Math.max(1, tail.length)];
    }));
    const cancelAt = Date.now();
    const restoreOf = (id: string) => shedTimes(traces.get(id)!, cancelAt, shedLevel.get(id)!, baseline.get(id)! - shedLevel.get(id)!, 'up');
    if (RESTORE) {
      const cancelled = await http('DELETE', `${demo.httpUrl}/api/v1/events/${event.id}`, grid);
      if (cancelled.status !== 200) throw new Error(`DELETE answered ${cancelled.status}`);
      await until('every site restored', 600_000, async () => [...planned.keys()].every((id) => restoreOf(id).t100 !== null), 1000).catch(() => undefined);
    }
    const restore = new Map([...planned.keys()].map((id) => [id, restoreOf(id)]));

    // Report.
    const floorMs = REAL_TIMING_MS.pause * TIME_FACTOR;
    const ids = [...planned.keys()];
    const col = (m: Map<string, { t50: number | null; t90: number | null; t100: number | null }>, k: 't50' | 't90' | 't100') => ids.map((id) => m.get(id)![k]);
    const stats = (xs: Array<number | null>) => {
      const done = xs.filter((x): x is number => x !== null);
      return { p50: done.length === xs.length ? percentile(done, 50) : null, p99: done.length === xs.length ? percentile(done, 99) : null, max: done.length === xs.length ? Math.max(...done) : null, missing: xs.length - done.length };
    };
    const plannedTotal = ids.reduce((a, id) => a + planned.get(id)!, 0);
    const achievedTotal = ids.reduce((a, id) => a + settled.get(id)!, 0);
    process.stdout.write(`\nmachine: ${cpus().length} cores, 1-minute load average ${loadAtPost.toFixed(2)} at the POST, ${loadavg()[0]!.toFixed(2)} at the end\n`);
    process.stdout.write(`event: sleep_count ${COUNT} of ${MINERS} miners, ${PRIORITY}, ${ids.length} sites; requested ${event.requestedKw.toFixed(0)} kW, planned ${plannedTotal.toFixed(0)} kW, achieved at the meters ${achievedTotal.toFixed(0)} kW (${((achievedTotal / plannedTotal) * 100).toFixed(1)} %) after ${HOLD_S} s\n`);
    process.stdout.write(`firmware floor: slowest miner's pause to voltage off ${(floorMs / 1000).toFixed(2)} s (emulator, time factor ${TIME_FACTOR})\n\n`);
    process.stdout.write(`                     time from the POST to the share of the planned shed off at the site meters (s)\n`);
    process.stdout.write(`                        p50     p99     max   sites missing\n`);
    for (const [label, k] of [['shed 50 %', 't50'], ['shed 90 %', 't90'], ['shed 100 % (98)', 't100']] as const) {
      const s = stats(col(shed, k));
      process.stdout.write(`  ${label.padEnd(18)} ${s1(s.p50)}  ${s1(s.p99)}  ${s1(s.max)}   ${s.missing}\n`);
    }
    process.stdout.write(`                     time from the DELETE to the share of the shed restored (normal priority, ramped)\n`);
    for (const [label, k] of RESTORE ? ([['restore 50 %', 't50'], ['restore 90 %', 't90'], ['restore 100 % (98)', 't100']] as const) : []) {
      const s = stats(col(restore, k));
      process.stdout.write(`  ${label.padEnd(18)} ${s1(s.p50)}  ${s1(s.p99)}  ${s1(s.max)}   ${s.missing}\n`);
    }
    process.stdout.write(`\nper site: miners, planned kW, achieved kW, shed 50/90/100 %, restore 90 %\n`);
    for (const id of ids) {
      const s = shed.get(id)!;
      process.stdout.write(`  ${id.replace(prefix, '').padEnd(14)} ${String(minersOf.get(id)).padStart(4)}  ${planned.get(id)!.toFixed(0).padStart(6)}  ${settled.get(id)!.toFixed(0).padStart(6)}  ${s1(s.t50)} ${s1(s.t90)} ${s1(s.t100)}  ${s1(restore.get(id)!.t90)}\n`);
    }
    const during = sleepingSeries.filter((p) => p.t >= postAt);
    let worstDrop = 0;
    for (let i = 1; i < during.length; i++) worstDrop = Math.max(worstDrop, during[i - 1]!.sleeping - during[i]!.sleeping);
    process.stdout.write(`\nlive counts, GET /api/v1/sites once a second during the shed (${during.length} reads), fleet sum of counts.sleeping/offline:\n  ${during.map((p) => `${p.sleeping}/${p.offline}`).join(' ')}\n`);
    process.stdout.write(`largest fall between consecutive reads while nothing woke: ${worstDrop}\n`);
    const worst90 = stats(col(shed, 't90'));
    process.stdout.write(`\ntarget: 90 % of the planned kW off within 16 s on every site: ${worst90.max !== null && worst90.max <= 16_000 ? 'met' : 'NOT met'}\n`);
  } finally {
    stopSampling = true;
    await Promise.allSettled([...meters.values()].map((m) => m.stop()));
    await demo.stop();
    if (!useEmbedded) await clearRetained(URL_ARG, prefix).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The run's retained controls would stay on the shared broker: clear them. */
async function clearRetained(url: string, prefix: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `hashwatt-shed-bench-clean-${process.pid}` });
  const topics = new Set<string>();
  client.on('message', (topic, payload, packet) => { if (packet.retain && payload.length > 0 && topic.startsWith(`hashwatt/v1/${prefix}`)) topics.add(topic); });
  await client.subscribeAsync('hashwatt/v1/+/#');
  await new Promise((r) => setTimeout(r, 3000)); // every retained message of the broker comes first
  for (const t of topics) await client.publishAsync(t, Buffer.alloc(0), { retain: true, qos: 1 });
  await client.endAsync();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`shed bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
