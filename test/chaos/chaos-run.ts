/**
 * npm run chaos -- [--minutes 2] [--seed N] [--sites 3] [--miners 24]
 *
 * Fault injection on real parts: a private Mosquitto, the collector and one
 * agent per emulated site, each its own process, killed with -9 at seeded
 * random moments (the seed is printed; the same seed replays the same fault
 * schedule), the broker taken away for long outages, and overlapping
 * curtailment events started meanwhile. At the end it accounts for every
 * (agent, session, seq) and checks the emulators' draw against every limit an
 * agent accepted. Exit 1 on any loss, recorded gap or limit violation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { createRng } from '../../sim/fleet/rng.js';
import { ControlSchema, type Control } from '../../shared/protocol/index.js';
import { collectorProcess } from '../helpers/collector-process.js';
import { chaosBroker } from './chaos-broker.js';
import { chaosSite, type ChaosSite } from './chaos-site.js';
import { accountSeqs, limitViolations, type AcceptedControl, type SessionRecord } from './chaos-accounting.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const MINUTES = Number(args.get('minutes') ?? 2);
const SEED = Number(args.get('seed') ?? Math.floor(Math.random() * 2 ** 31));
const SITES = Number(args.get('sites') ?? 3);
const MINERS = Number(args.get('miners') ?? 24);
const rng = createRng(SEED);
const between = (lo: number, hi: number) => lo + rng() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const faults = { brokerKills: 0, brokerOutages: 0, collectorKills: 0, agentKills: 0, events: 0, eventsRefused: 0 };

async function main(): Promise<number> {
  log(`chaos: ${MINUTES} min, seed ${SEED}, ${SITES} sites × ${MINERS} miners (replay: npm run chaos -- --minutes ${MINUTES} --seed ${SEED} --sites ${SITES} --miners ${MINERS})`);
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-chaos-'));
  const broker = await chaosBroker(dir);
  await broker.start();
  const prefix = `chaos${SEED.toString(36)}`;
  const ids = Array.from({ length: SITES }, (_, i) => `${prefix}-s${i}`);
  const collector = await collectorProcess(join(dir), { brokerUrl: broker.url, prefix, sites: ids });
  const sites: ChaosSite[] = [];
  for (const [i, id] of ids.entries()) sites.push(await chaosSite({ id, index: i, dir, brokerUrl: broker.url, publicKeyPath: collector.publicKeyPath, miners: MINERS, seed: SEED + i }));

  // Every control the collector publishes, as the agents get it (a persistent session: missed ones come after a reconnect).
  const controls = new Map<string, Control>();
  const watcher = mqtt.connect(broker.url, { clientId: `${prefix}-watch`, clean: false, reconnectPeriod: 500, protocolVersion: 4 });
  watcher.on('connect', () => watcher.subscribe('hashwatt/v1/+/+/control', { qos: 1 }));
  watcher.on('message', (_topic, payload) => {
    if (payload.length === 0) return;
    const parsed = ControlSchema.safeParse(JSON.parse(payload.toString()));
    if (parsed.success) controls.set(`${parsed.data.site}:${parsed.data.revision}`, parsed.data as Control);
  });
  watcher.on('error', () => undefined);

  /**
   * Starts the collector as systemd would (Restart=on-failure): a collector
   * that cannot reach the broker at start exits, and is started again until it
   * comes up.
   */
  let starting: Promise<void> | undefined;
  const startCollector = (): Promise<void> => {
    // One supervisor at a time: a kill while it starts just makes it try again.
    starting ??= (async () => {
      for (;;) {
        try {
          return await collector.start();
        } catch (err) {
          log(`collector did not come up (${(err as Error).message.split('\n')[0]}); starting it again in 2 s`);
          await collector.kill('SIGKILL');
          await sleep(2000);
        }
      }
    })().finally(() => {
      starting = undefined;
    });
    return starting;
  };
  const pending = new Set<Promise<unknown>>();
  const later = (ms: number, fn: () => Promise<unknown> | unknown) => {
    const p = sleep(ms).then(fn).catch((err: Error) => log(`restart failed: ${err.message}`));
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  let exitCode = 1;
  // Ctrl-C mid-run: leave no broker, collector or agent behind.
  const interrupted = () => {
    log('interrupted; stopping everything');
    void Promise.allSettled([...sites.map((s) => s.killAgent()), collector.kill('SIGKILL'), broker.kill()]).then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await collector.start();
    for (const s of sites) s.startAgent();
    const fullKw = new Map<string, number>();
    const deadline = Date.now() + 60_000;
    while (fullKw.size < SITES && Date.now() < deadline) {
      const r = await collector.api('/api/v1/sites').catch(() => undefined);
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
        const r = collector.running() ? await collector.api('/api/v1/events', { method: 'POST', body }).catch(() => undefined) : undefined;
        if (r?.status === 201) faults.events++;
        else faults.eventsRefused++;
        log(`event ${site} ≤ ${value} kW for ${body.durationS} s: ${r?.status ?? 'collector down'}`);
      } else if (roll < 0.5 && collector.running()) {
        faults.collectorKills++;
        await collector.kill('SIGKILL');
        const down = between(2_000, 15_000);
        log(`kill -9 collector (back in ${(down / 1000).toFixed(1)} s)`);
        later(down, startCollector);
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
    if (!collector.running()) await startCollector();
    for (const s of sites) s.startAgent();
    await drained(sites);
    for (const s of sites) await s.stop();
    await collector.kill('SIGTERM');
    const verdict = judge(collector.dbFile, sites, controls);
    exitCode = verdict ? 0 : 1;
  } finally {
    watcher.end(true);
    for (const s of sites) await s.stop().catch(() => undefined);
    await collector.kill('SIGKILL').catch(() => undefined);
    await broker.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return exitCode;
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

function judge(dbFile: string, sites: ChaosSite[], controls: Map<string, Control>): boolean {
  const db = new Database(dbFile, { readonly: true });
  const sessions: SessionRecord[] = [];
  let gaps = 0;
  let redelivered = 0;
  const accepted = new Map<string, AcceptedControl[]>();
  let unverifiable = 0;
  try {
    for (const s of sites) {
      const agentRow = db.prepare('SELECT a.id FROM agents a JOIN sites x ON x.id = a.site_id WHERE x.site = ? AND a.agent = ?').get(s.id, s.agent) as { id: number } | undefined;
      const agentDb = new Database(join(s.dataDir, 'agent.db'), { readonly: true });
      try {
        const lastSession = Number((agentDb.prepare("SELECT value FROM meta WHERE key = 'session'").get() as { value: string }).value);
        for (let session = 1; session <= lastSession; session++) {
          const stored = new Set<number>();
          if (agentRow) {
            for (const r of db.prepare('SELECT seq FROM telemetry_log WHERE agent_id = ? AND session = ?').all(agentRow.id, session) as Array<{ seq: number }>) stored.add(r.seq);
            for (const r of db.prepare('SELECT seq FROM control_reports WHERE agent_id = ? AND session = ? AND seq IS NOT NULL').all(agentRow.id, session) as Array<{ seq: number }>) stored.add(r.seq);
          }
          const pending = new Set((agentDb.prepare('SELECT seq FROM outbox WHERE session = ?').all(session) as Array<{ seq: number }>).map((r) => r.seq));
          sessions.push({ site: s.id, agent: s.agent, session, stored, pending });
        }
      } finally {
        agentDb.close();
      }
      if (agentRow) gaps += (db.prepare('SELECT COUNT(*) AS n FROM telemetry_gaps WHERE agent_id = ?').get(agentRow.id) as { n: number }).n;
      const reports = db.prepare("SELECT r.revision, MIN(r.ts) AS ts FROM control_reports r JOIN sites x ON x.id = r.site_id WHERE x.site = ? AND r.status = 'accepted' GROUP BY r.revision").all(s.id) as Array<{ revision: number; ts: number }>;
      const list: AcceptedControl[] = [];
      for (const r of reports) {
        const control = controls.get(`${s.id}:${r.revision}`);
        if (control) list.push({ acceptedAt: r.ts, control });
        else unverifiable++;
      }
      accepted.set(s.id, list);
      const dup = db.prepare('SELECT COUNT(*) - COUNT(DISTINCT ts) AS n FROM samples x JOIN sites s ON s.id = x.site_id WHERE s.site = ?').get(s.id) as { n: number };
      redelivered += dup.n;
    }
  } finally {
    db.close();
  }
  const seqs = accountSeqs(sessions);
  const violations = sites.flatMap((s) => limitViolations(s.id, s.draw, accepted.get(s.id) ?? [], s.starts, { rampAllowanceMs: 30_000, tolerance: 0.05 }));
  const acceptedCount = [...accepted.values()].reduce((a, l) => a + l.length, 0);
  const rows: Array<[string, string | number]> = [
    ['seed', SEED],
    ['broker kill -9 (of which long outages)', `${faults.brokerKills} (${faults.brokerOutages})`],
    ['collector kill -9', faults.collectorKills],
    ['agent kill -9', faults.agentKills],
    ['curtailment events started (refused: collector down)', `${faults.events} (${faults.eventsRefused})`],
    ['messages made by agents (telemetry + reports)', seqs.made],
    ['stored', seqs.stored],
    ['still in an outbox (late, not lost)', seqs.pending],
    ['duplicated (a sample stored twice)', redelivered],
    ['lost', seqs.lost.length],
    ['telemetry gaps recorded by the collector', gaps],
    ['controls accepted / checked against the draw', `${acceptedCount + unverifiable} / ${acceptedCount}`],
    ['limit violations (beyond a 30 s ramp allowance, > 5 % over)', violations.length],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  for (const l of seqs.lost.slice(0, 20)) process.stdout.write(`  lost: ${l.site}/${l.agent} session ${l.session} seq ${l.seq}\n`);
  for (const v of violations.slice(0, 20)) process.stdout.write(`  violation: ${v.site} revision ${v.revision} at up to ${v.peakKw.toFixed(1)} kW over ${v.capKw} kW from ${new Date(v.from).toISOString()} to ${new Date(v.until).toISOString()}\n`);
  const ok = seqs.lost.length === 0 && gaps === 0 && redelivered === 0 && violations.length === 0;
  process.stdout.write(`\nchaos: ${ok ? 'PASS' : 'FAIL'}\n`);
  return ok;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`chaos run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
