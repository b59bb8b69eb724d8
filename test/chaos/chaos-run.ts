/**
 * npm run chaos -- [--minutes 2] [--seed N] [--sites 3] [--miners 24] [--cluster]
 *
 * Fault injection on real parts: a private Mosquitto, the collector and one
 * agent per emulated site, each its own process, killed with -9 at seeded
 * random moments (the seed is printed; the same seed replays the same fault
 * schedule), the broker taken away for long outages, and overlapping
 * curtailment events started meanwhile. At the end it accounts for every
 * (agent, session, seq) and checks the emulators' draw against every limit an
 * agent accepted. Exit 1 on any loss, recorded gap or limit violation.
 *
 * --cluster: two collectors on one PostgreSQL database (a new one, dropped at
 * the end) elect a leader; the collector kills mostly hit the leader, events go
 * to either, and each site's control revisions must only rise, never one
 * revision with two contents (two leaders publishing at once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { createRng } from '../../sim/fleet/rng.js';
import { ControlSchema, type Control } from '../../shared/protocol/index.js';
import { createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../../server/store/contract/pg-test-database.js';
import { chaosBroker } from './chaos-broker.js';
import { chaosCollectors, leadershipLog, type ChaosCollector } from './chaos-collectors.js';
import { judgeRun, type ChaosVerdict } from './chaos-judge.js';
import { chaosSite, type ChaosSite } from './chaos-site.js';
import { revisionProblems, type ControlArrival, type RevisionProblem } from './control-revisions.js';
import { watchLeaders, type LeaderFacts, type LeaderWatch } from './leader-watch.js';

/** `--name value` pairs; a flag followed by another flag or nothing (`--cluster`) is `true`. */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i]!.replace(/^--/, '');
  const next = process.argv[i + 1];
  if (next === undefined || next.startsWith('--')) args.set(name, 'true');
  else {
    args.set(name, next);
    i++;
  }
}
const CLUSTER = args.get('cluster') === 'true';
const MINUTES = Number(args.get('minutes') ?? 2);
const SEED = Number(args.get('seed') ?? Math.floor(Math.random() * 2 ** 31));
const SITES = Number(args.get('sites') ?? 3);
const MINERS = Number(args.get('miners') ?? 24);
const rng = createRng(SEED);
const between = (lo: number, hi: number) => lo + rng() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const faults = { brokerKills: 0, brokerOutages: 0, collectorKills: 0, leaderKills: 0, agentKills: 0, events: 0, eventsRefused: 0 };

/** The cluster's database, created for the run and dropped at its end, however it ends. */
let database: TestDatabase | undefined;

async function main(): Promise<number> {
  log(`chaos: ${MINUTES} min, seed ${SEED}, ${SITES} sites × ${MINERS} miners${CLUSTER ? ', cluster of 2 collectors on PostgreSQL' : ''} (replay: npm run chaos -- --minutes ${MINUTES} --seed ${SEED} --sites ${SITES} --miners ${MINERS}${CLUSTER ? ' --cluster' : ''})`);
  if (CLUSTER) {
    const unavailable = await postgresUnavailableReason();
    if (unavailable) throw new Error(`--cluster needs PostgreSQL: ${unavailable}`);
    database = await createTestDatabase('chaos');
  }
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-chaos-'));
  const broker = await chaosBroker(dir);
  await broker.start();
  const prefix = `chaos${SEED.toString(36)}`;
  const ids = Array.from({ length: SITES }, (_, i) => `${prefix}-s${i}`);
  const collectors = await chaosCollectors(dir, { brokerUrl: broker.url, prefix, sites: ids, log, ...(database ? { cluster: { store: { kind: 'postgres', url: database.url, poolSize: 4 } } } : {}) });
  const sites: ChaosSite[] = [];
  for (const [i, id] of ids.entries()) sites.push(await chaosSite({ id, index: i, dir, brokerUrl: broker.url, publicKeyPath: collectors[0]!.process.publicKeyPath, miners: MINERS, seed: SEED + i }));
  const running = () => collectors.filter((c) => c.running());
  /** The collector an operator's request reaches: the only one, or (cluster) either of those running. */
  const anyRunning = (): ChaosCollector | undefined => {
    const up = running();
    if (!CLUSTER) return up[0];
    const pick = rng(); // drawn whatever runs, so a replay's later draws do not depend on timing
    return up.length === 0 ? undefined : up[Math.floor(pick * up.length)];
  };

  // Every control the collectors publish, as the agents get it (a persistent session: missed ones come after a reconnect).
  const controls = new Map<string, Control>();
  const arrivals: ControlArrival[] = [];
  const watcher = mqtt.connect(broker.url, { clientId: `${prefix}-watch`, clean: false, reconnectPeriod: 500, protocolVersion: 4 });
  watcher.on('connect', () => watcher.subscribe('hashwatt/v1/+/+/control', { qos: 1 }));
  watcher.on('message', (_topic, payload) => {
    if (payload.length === 0) return;
    const parsed = ControlSchema.safeParse(JSON.parse(payload.toString()));
    if (!parsed.success) return;
    controls.set(`${parsed.data.site}:${parsed.data.revision}`, parsed.data as Control);
    arrivals.push({ site: parsed.data.site, revision: parsed.data.revision, payload: payload.toString() });
  });
  watcher.on('error', () => undefined);

  const pending = new Set<Promise<unknown>>();
  const later = (ms: number, fn: () => Promise<unknown> | unknown) => {
    const p = sleep(ms).then(fn).catch((err: Error) => log(`restart failed: ${err.message}`));
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  let exitCode = 1;
  let leaders: LeaderWatch | undefined;
  // Ctrl-C mid-run: leave no broker, collector, agent or database behind.
  const interrupted = () => {
    log('interrupted; stopping everything');
    void Promise.allSettled([...sites.map((s) => s.killAgent()), ...collectors.map((c) => c.kill()), broker.kill()])
      .then(() => database?.drop())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    // One after the other: the first creates the tables (and, in a cluster, takes the lease).
    for (const c of collectors) await c.startOnce();
    if (CLUSTER) leaders = watchLeaders(collectors, log);
    for (const s of sites) s.startAgent();
    const fullKw = new Map<string, number>();
    const deadline = Date.now() + 60_000;
    while (fullKw.size < SITES && Date.now() < deadline) {
      const r = await collectors[0]!.process.api('/api/v1/sites').catch(() => undefined);
      for (const s of (r?.body?.sites ?? []) as Array<{ id: string; kw: number; online: boolean }>) if (ids.includes(s.id) && s.online && s.kw > 0) fullKw.set(s.id, s.kw);
      await sleep(500);
    }
    if (fullKw.size < SITES) throw new Error(`only ${fullKw.size} of ${SITES} sites came online`);
    log(`all ${SITES} sites online (${[...fullKw.values()].map((k) => k.toFixed(0)).join(', ')} kW)`);

    const end = Date.now() + MINUTES * 60_000;
    // At most a third of the run without a broker, at least one outage of 30 s or more.
    let outageLeft = MINUTES * 60_000 * 0.34;
    while (Date.now() < end) {
      await sleep(between(3_000, 8_000));
      const roll = rng();
      if (roll < 0.3) {
        const site = ids[Math.floor(rng() * SITES)]!;
        const value = Math.round((fullKw.get(site) ?? 100) * between(0.5, 0.85));
        const body = { scope: { sites: [site] }, kind: 'limit_to_kw', value, durationS: Math.round(between(20, 90)), start: Date.now() + Math.round(between(0, 15_000)), priority: 'normal', reason: 'chaos' };
        const to = anyRunning();
        const r = to ? await to.process.api('/api/v1/events', { method: 'POST', body }).catch(() => undefined) : undefined;
        if (r?.status === 201) faults.events++;
        else faults.eventsRefused++;
        log(`event ${site} ≤ ${value} kW for ${body.durationS} s${CLUSTER && to ? ` via ${to.name}` : ''}: ${r?.status ?? 'collector down'}`);
      } else if (roll < 0.5 && running().length > 0) {
        const { victim, wasLeader } = await collectorToKill(collectors, leaders);
        faults.collectorKills++;
        if (wasLeader) faults.leaderKills++;
        await victim.kill();
        if (wasLeader) leaders?.leaderKilled();
        const down = between(2_000, 15_000);
        log(`kill -9 ${victim.name}${CLUSTER ? (wasLeader ? ' (the leader)' : ' (not leading)') : ''} (back in ${(down / 1000).toFixed(1)} s)`);
        later(down, () => victim.start());
      } else if (roll < 0.65 && broker.running()) {
        faults.brokerKills++;
        await broker.kill();
        const long = outageLeft >= 30_000 && (faults.brokerOutages === 0 || rng() < 0.3);
        const down = long ? between(30_000, Math.min(outageLeft, 180_000)) : between(1_000, 8_000);
        if (long) { faults.brokerOutages++; outageLeft -= down; }
        log(`kill -9 broker (${long ? 'outage' : 'back'} ${(down / 1000).toFixed(1)} s)`);
        later(down, () => broker.start());
      } else if (roll < 0.9) {
        const s = sites[Math.floor(rng() * SITES)]!;
        if (!s.agentRunning()) continue;
        faults.agentKills++;
        await s.killAgent();
        const down = between(1_000, 10_000);
        log(`kill -9 agent of ${s.id} (back in ${(down / 1000).toFixed(1)} s)`);
        later(down, () => s.startAgent());
      }
    }
    log('faults over; bringing everything back and letting the outboxes drain');
    await Promise.all([...pending]);
    await broker.start();
    for (const c of collectors) if (!c.running()) await c.start();
    for (const s of sites) s.startAgent();
    await drained(sites);
    for (const s of sites) await s.stop();
    // Watched until the collectors stop, so a takeover in the last seconds is counted too.
    leaders?.stop();
    for (const c of collectors) await c.process.kill('SIGTERM');
    const db = await collectors[0]!.process.readStore();
    let verdict: ChaosVerdict;
    try {
      verdict = await judgeRun(db, sites, controls);
    } finally {
      await db.close();
    }
    if (CLUSTER) process.stdout.write(`\nwhat the collectors logged about the leadership:\n${leadershipLog(dir).map((l) => `  ${l}`).join('\n')}\n`);
    exitCode = report(verdict, CLUSTER ? { leaders: leaders!.facts, revisions: revisionProblems(arrivals), controlsSeen: arrivals.length } : undefined) ? 0 : 1;
  } finally {
    leaders?.stop();
    watcher.end(true);
    for (const s of sites) await s.stop().catch(() => undefined);
    for (const c of collectors) await c.kill().catch(() => undefined);
    await broker.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return exitCode;
}

/**
 * Which collector a kill -9 hits: the only one, or in a cluster the leader most
 * of the time (its death is what the election must survive) and a follower now
 * and then (a takeover must not be needed, nor happen).
 */
async function collectorToKill(collectors: ChaosCollector[], leaders: LeaderWatch | undefined): Promise<{ victim: ChaosCollector; wasLeader: boolean }> {
  const up = collectors.filter((c) => c.running());
  if (!leaders) return { victim: up[0]!, wasLeader: false };
  const leader = await leaders.leader();
  const followers = up.filter((c) => collectors.indexOf(c) !== leader);
  // Both drawn every time, so a replay's later draws do not depend on who led when.
  const [leaderRoll, followerRoll] = [rng(), rng()];
  if (leader !== undefined && (followers.length === 0 || leaderRoll < 0.8)) return { victim: collectors[leader]!, wasLeader: true };
  return { victim: followers[Math.floor(followerRoll * followers.length)]!, wasLeader: false };
}

/** Until every agent's outbox is down to what one poll makes (or two minutes). */
async function drained(sites: ChaosSite[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const rows = sites.map((s) => {
      const db = new Database(join(s.dataDir, 'agent.db'), { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE created_at < ?').get(Date.now() - 15_000) as { n: number }).n;
      } finally {
        db.close();
      }
    });
    if (rows.every((n) => n === 0)) return;
    await sleep(1000);
  }
  log('outboxes did not drain within 2 min: what is left counts as pending');
}

/** Prints the summary table and the first problems; whether the run passes. */
function report(v: ChaosVerdict, cluster: { leaders: LeaderFacts; revisions: RevisionProblem[]; controlsSeen: number } | undefined): boolean {
  const rows: Array<[string, string | number]> = [
    ['seed', SEED],
    ['broker kill -9 (of which long outages)', `${faults.brokerKills} (${faults.brokerOutages})`],
    cluster ? ['collector kill -9 (of which the leader)', `${faults.collectorKills} (${faults.leaderKills})`] : ['collector kill -9', faults.collectorKills],
    ['agent kill -9', faults.agentKills],
    ['curtailment events started (refused: collector down)', `${faults.events} (${faults.eventsRefused})`],
    ['messages made by agents (telemetry + reports)', v.seqs.made],
    ['stored', v.seqs.stored],
    ['still in an outbox (late, not lost)', v.seqs.pending],
    ['duplicated (a sample stored twice)', v.redelivered],
    ['lost', v.seqs.lost.length],
    ['telemetry gaps recorded by the collector', v.gaps],
    ['controls accepted / checked against the draw', `${v.checked + v.unverifiable} / ${v.checked}`],
    ['limit violations (beyond a 30 s ramp allowance, > 5 % over)', v.violations.length],
  ];
  if (cluster) {
    rows.push(
      ['store', 'PostgreSQL, 2 collectors'],
      ['leader takeovers observed', cluster.leaders.takeovers],
      ['longest time without a leader (a collector answering)', `${(cluster.leaders.longestLeaderlessMs / 1000).toFixed(1)} s`],
      ['takeovers timed after a leader kill (longest; bound 13 s)', `${cluster.leaders.takeoverS.length} (${cluster.leaders.takeoverS.length ? `${Math.max(...cluster.leaders.takeoverS).toFixed(1)} s` : '-'})`],
      ['polls with two leaders at once', cluster.leaders.twoLeaders],
      ['controls seen by the watcher', cluster.controlsSeen],
      ['revisions gone back / published with two contents', `${cluster.revisions.filter((p) => p.problem === 'went back').length} / ${cluster.revisions.filter((p) => p.problem === 'two contents').length}`],
    );
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, val]) => `${k.padEnd(width)}  ${val}`).join('\n')}\n`);
  for (const l of v.seqs.lost.slice(0, 20)) process.stdout.write(`  lost: ${l.site}/${l.agent} session ${l.session} seq ${l.seq}\n`);
  for (const x of v.violations.slice(0, 20)) process.stdout.write(`  violation: ${x.site} revision ${x.revision} at up to ${x.peakKw.toFixed(1)} kW over ${x.capKw} kW from ${new Date(x.from).toISOString()} to ${new Date(x.until).toISOString()}\n`);
  for (const p of cluster?.revisions.slice(0, 20) ?? []) process.stdout.write(`  revision: ${p.site} revision ${p.revision} ${p.problem}\n`);
  const ok = v.seqs.lost.length === 0 && v.gaps === 0 && v.redelivered === 0 && v.violations.length === 0
    && (!cluster || (cluster.revisions.length === 0 && cluster.leaders.twoLeaders === 0));
  process.stdout.write(`\nchaos: ${ok ? 'PASS' : 'FAIL'}\n`);
  return ok;
}

main().then((code) => code, (err: unknown) => {
  process.stderr.write(`chaos run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  return 1;
}).then(async (code) => {
  await database?.drop().catch((err: Error) => log(`could not drop ${database!.name}: ${err.message}`));
  process.exit(code);
});
