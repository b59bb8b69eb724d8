import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKeyPair } from '../shared/signing/key-files.js';
import { StoreConfigSchema } from '../server/store/open-store.js';
import { createTestDatabase, postgresUnavailableReason } from '../server/store/contract/pg-test-database.js';
import { openStoreReader } from '../server/testing/test-store.js';
import { collectorProcess, type CollectorProcess } from '../test/helpers/collector-process.js';
import { revisionProblems, type RevisionProblem } from '../test/chaos/control-revisions.js';
import { emitJson, load, parseFlags, brokerReachable } from './bench-common.js';
import type { AgentsFinal, AgentsStatus, FailoverAgentsOptions } from './failover-bench-agents.js';

/**
 * npm run bench -- failover [--sites 1000] [--period-s 5] [--url mqtt://127.0.0.1:1883] [--json FILE]
 *
 * kill -9 of the leading collector in the middle of a 1,000-site curtailment
 * event (issue: past one machine). Two `hashwatt collector` processes on one
 * PostgreSQL database, ingesting through one MQTT share group on Mosquitto;
 * 1,000 agents (one MQTT connection each, in a child process) send telemetry
 * every --period-s and answer controls. The event is asked of the collector
 * that does not lead; when a third of the sites have their control, the leader
 * is killed with SIGKILL. Then:
 * - the other collector must lead within 15 s (lease 10 s + renew 3 s);
 * - the event carries on: every site gets its control and `accepted` is
 *   committed for all; the killed collector is started again (as its
 *   supervisor would), and cancelling the event through it reaches every agent;
 * - no agent saw a control revision twice with different contents or going back;
 * - no telemetry or report lost: every seq each agent made is stored, once.
 * Exits 1 when a check fails (the output says which); needs Mosquitto (shared
 * subscriptions) and PostgreSQL (HASHWATT_TEST_PG_URL, else 127.0.0.1:5432).
 */
const args = parseFlags();
const SITES = Number(args.get('sites') ?? 1000);
const PERIOD_MS = Number(args.get('period-s') ?? 5) * 1000;
const URL_ = args.get('url') ?? 'mqtt://127.0.0.1:1883';
const TAKEOVER_BOUND_S = 15;
const agentsPath = fileURLToPath(new URL('./failover-bench-agents.js', import.meta.url));

export interface FailoverResult {
  bench: 'failover';
  sites: number;
  load: [number, number, number];
  controlledAtKill: number;
  takeoverS: number;
  /** From the kill until every agent had its control / every `accepted` was committed. */
  allControlledS: number;
  allAcceptedS: number;
  /** From DELETE (asked of the restarted collector, now a follower) until every agent was told to restore. */
  restoreS: number;
  revisionProblems: RevisionProblem[];
  telemetry: { made: number; stored: number; samples: number; lost: number; resent: number };
  failures: string[];
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value; undefined after `timeoutMs` (the caller records the failure). */
async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > deadline) return undefined;
    await sleep(intervalMs);
  }
}

function ask<T>(child: ChildProcess, cmd: Record<string, unknown>, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const exit = (code: number | null) => reject(new Error(`agents process exited ${code}`));
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      child.off('message', on);
      child.off('exit', exit);
      resolve(m[key] as T);
    };
    child.on('message', on);
    child.once('exit', exit);
    if (Object.keys(cmd).length > 0) child.send(cmd);
  });
}

/** The collector's own answer to "do you lead?" (hashwatt_cluster_leader on /metrics). */
async function leads(c: CollectorProcess): Promise<boolean> {
  const text = await (await fetch(`http://127.0.0.1:${c.port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return /^hashwatt_cluster_leader 1$/m.test(text);
}

async function main(): Promise<void> {
  const pgProblem = await postgresUnavailableReason();
  if (pgProblem) throw new Error(`the failover bench needs PostgreSQL: ${pgProblem}`);
  if (!(await brokerReachable(URL_))) throw new Error(`the failover bench needs an MQTT broker with shared subscriptions (Mosquitto 2) at ${URL_}`);
  const prefix = `fo${Date.now().toString(36)}`;
  const sites = Array.from({ length: SITES }, (_, i) => `${prefix}-s${i}`);
  const root = await mkdtemp(join(tmpdir(), 'hashwatt-failover-bench-'));
  const database = await createTestDatabase('failover');
  const store = StoreConfigSchema.parse({ kind: 'postgres', url: database.url });
  // One signing key for both collectors: agents trust the cluster, whichever member leads.
  const keys = await writeKeyPair(join(root, 'keys'));
  const signing = { privateKeyFile: keys.privateKeyPath, publicKeyFile: keys.publicKeyPath };
  const collectors: CollectorProcess[] = [];
  const logs: string[] = [];
  for (const name of ['a', 'b']) {
    const dir = join(root, name);
    await mkdir(dir);
    logs.push(join(dir, 'collector.log'));
    collectors.push(await collectorProcess(dir, {
      brokerUrl: URL_, prefix: `${prefix}-${name}`, sites, store, logFile: logs.at(-1)!,
      config: { dataDir: join(root, 'store'), signing, ingest: { clientId: `${prefix}-${name}`, flushMs: 50, sites, shareGroup: `${prefix}-ingest` } },
    }));
  }
  const [a, b] = collectors as [CollectorProcess, CollectorProcess];
  let agents: ChildProcess | undefined;
  const failures: string[] = [];
  const fail = (what: string) => { failures.push(what); process.stdout.write(`FAIL: ${what}\n`); };
  const say = (text: string) => process.stdout.write(`${text}\n`);
  try {
    // One after the other: the first creates the tables and takes the lease.
    await a.start();
    if (!(await until(async () => ((await leads(a)) ? true : undefined), 30_000))) throw new Error('collector a did not take the lead');
    await b.start();
    const options: FailoverAgentsOptions = { url: URL_, prefix, sites: SITES, publicKeyFile: keys.publicKeyPath, periodMs: PERIOD_MS, resendMs: 10_000 };
    agents = fork(agentsPath, ['--child', JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const t0c = performance.now();
    await ask(agents, {}, 'ready');
    say(`failover bench: ${SITES} agents connected in ${((performance.now() - t0c) / 1000).toFixed(1)} s; collectors a (leads) and b on PostgreSQL ${database.name}, share group on ${URL_}`);
    const status = () => ask<AgentsStatus>(agents!, { cmd: 'status' }, 'status');
    // Online with a measured draw: the plan sheds pro rata to it, so a site not sampled yet would get no limit.
    const drawing = async (c: CollectorProcess) => (await c.api('/api/v1/sites')).body.sites.filter((s: { id: string; online: boolean; kw: number | null }) => s.id.startsWith(`${prefix}-`) && s.online && (s.kw ?? 0) > 0).length as number;
    if (!(await until(async () => ((await drawing(b)) === SITES ? true : undefined), 120_000, 500))) throw new Error(`not every site online with a draw at collector b: ${await drawing(b)} of ${SITES}`);

    // The event, asked of the follower; the leader signs and publishes. A third in, kill -9 the leader.
    const threshold = ask(agents, { cmd: 'arm', count: Math.ceil(SITES / 3) }, 'threshold');
    const created = await b.api('/api/v1/events', { method: 'POST', body: { scope: { sites }, kind: 'reduce_by_kw', value: SITES * 300, durationS: 1800, priority: 'high', reason: 'failover bench' } });
    if (created.status !== 201) throw new Error(`POST /api/v1/events: ${created.status} ${JSON.stringify(created.body)}`);
    const eventId = created.body.id as string;
    await Promise.race([threshold, sleep(60_000).then(() => { throw new Error('a third of the sites did not get their control within 60 s'); })]);
    await a.kill('SIGKILL');
    const killedAt = performance.now();
    const sinceKill = () => (performance.now() - killedAt) / 1000;
    const controlledAtKill = (await status()).latest.filter((l) => l && l.mode !== 'none').length;
    say(`killed collector a (the leader) with SIGKILL when ${controlledAtKill} of ${SITES} agents had their control`);

    const takeover = await until(async () => ((await leads(b)) ? sinceKill() : undefined), 60_000);
    const takeoverS = takeover ?? NaN;
    if (takeover === undefined) fail('collector b did not lead within 60 s');
    else if (takeover > TAKEOVER_BOUND_S) fail(`takeover took ${takeover.toFixed(1)} s (bound ${TAKEOVER_BOUND_S} s)`);
    say(`collector b leads after ${takeoverS.toFixed(1)} s`);

    const controlled = await until(async () => ((await status()).latest.every((l) => l && l.mode !== 'none') ? sinceKill() : undefined), 120_000);
    if (controlled === undefined) fail(`not every agent got its control within 120 s of the kill: ${(await status()).latest.filter((l) => l && l.mode !== 'none').length} of ${SITES}`);
    const accepted = await until(async () => {
      const event = (await b.api(`/api/v1/events/${eventId}`)).body as { status: string; counts: Record<string, number> };
      return event.status === 'active' && event.counts.accepted === SITES ? sinceKill() : undefined;
    }, 120_000, 500);
    if (accepted === undefined) fail(`not every site's acceptance committed within 120 s: ${JSON.stringify((await b.api(`/api/v1/events/${eventId}`)).body.counts)}`);
    say(`every agent had its control ${controlled?.toFixed(1)} s after the kill; every acceptance committed after ${accepted?.toFixed(1)} s`);

    // The killed collector comes back (as systemd would start it) and follows; ending the event through it reaches every agent.
    await a.start();
    if (await leads(a)) fail('the restarted collector a leads while b holds the lease');
    const revisionsBefore = (await status()).latest.map((l) => l!.revision);
    const cancelledAt = performance.now();
    const cancelled = await a.api(`/api/v1/events/${eventId}`, { method: 'DELETE' });
    if (cancelled.status !== 200) fail(`DELETE through the restarted collector: ${cancelled.status} ${JSON.stringify(cancelled.body)}`);
    const restored = await until(async () => ((await status()).latest.every((l, i) => l!.mode === 'none' && l!.revision > revisionsBefore[i]!) ? (performance.now() - cancelledAt) / 1000 : undefined), 120_000);
    if (restored === undefined) fail('not every agent was told to restore within 120 s of the cancel');
    say(`every agent told to restore ${restored?.toFixed(1)} s after the cancel`);

    // Every message made is stored once: stop making new ones, let the acks catch up.
    agents.send({ cmd: 'stop-producing' });
    const drained = await until(async () => ((await status()).pending === 0 ? true : undefined), 120_000, 500);
    if (!drained) fail(`messages still unacknowledged 120 s after the agents stopped: ${(await status()).pending}`);
    const final = await ask<AgentsFinal>(agents, { cmd: 'stop' }, 'final');
    agents = undefined;
    const problems = revisionProblems(final.arrivals);
    if (problems.length > 0) fail(`control revisions: ${JSON.stringify(problems.slice(0, 5))} (${problems.length} in all)`);
    const reader = openStoreReader(store, join(root, 'store'));
    try {
      const seqs = await reader.all<{ site: string; seq: number }>(
        `SELECT s.site, l.seq FROM telemetry_log l JOIN agents a ON a.id = l.agent_id JOIN sites s ON s.id = a.site_id WHERE s.site LIKE ? AND l.session = ?
         UNION ALL SELECT s.site, r.seq FROM control_reports r JOIN sites s ON s.id = r.site_id WHERE s.site LIKE ? AND r.session = ?`,
        `${prefix}-%`, final.session, `${prefix}-%`, final.session,
      );
      const storedBySite = new Map<string, Set<number>>();
      for (const r of seqs) {
        const set = storedBySite.get(r.site) ?? new Set<number>();
        set.add(Number(r.seq));
        storedBySite.set(r.site, set);
      }
      let lost = 0;
      final.highestSeq.forEach((highest, i) => {
        const stored = storedBySite.get(sites[i]!) ?? new Set<number>();
        for (let seq = 1; seq <= highest; seq++) if (!stored.has(seq)) lost++;
      });
      const samples = Number((await reader.all<{ n: number }>(`SELECT COUNT(*) AS n FROM samples x JOIN sites s ON s.id = x.site_id WHERE s.site LIKE ?`, `${prefix}-%`))[0]!.n);
      const telemetryStored = Number((await reader.all<{ n: number }>(`SELECT COUNT(*) AS n FROM telemetry_log l JOIN agents a ON a.id = l.agent_id JOIN sites s ON s.id = a.site_id WHERE s.site LIKE ?`, `${prefix}-%`))[0]!.n);
      if (lost > 0) fail(`${lost} of ${final.made} messages made were never stored`);
      if (seqs.length !== new Set(seqs.map((r) => `${r.site}/${r.seq}`)).size) fail('a seq stored twice');
      if (samples !== telemetryStored) fail(`${samples} samples stored for ${telemetryStored} telemetry messages (each carried one)`);
      const result: FailoverResult = {
        bench: 'failover', sites: SITES, load: load(), controlledAtKill, takeoverS,
        allControlledS: controlled ?? NaN, allAcceptedS: accepted ?? NaN, restoreS: restored ?? NaN,
        revisionProblems: problems,
        telemetry: { made: final.made, stored: seqs.length, samples, lost, resent: final.resent },
        failures,
      };
      say(`\n== failover (${SITES} sites, kill -9 of the leader mid-event) ==`);
      say(`takeover ${takeoverS.toFixed(1)} s (bound ${TAKEOVER_BOUND_S} s); controls at the kill ${controlledAtKill}/${SITES}; all controlled +${result.allControlledS.toFixed(1)} s, all accepted +${result.allAcceptedS.toFixed(1)} s; restore via the restarted collector ${result.restoreS.toFixed(1)} s`);
      say(`control revisions: ${final.arrivals.length} arrivals, ${problems.length} problems (twice with other contents, or going back)`);
      say(`messages (telemetry + reports): ${final.made} made, ${seqs.length} stored, ${lost} lost, ${final.resent} sent again; ${samples} samples for ${telemetryStored} telemetry messages`);
      say(`load average ${result.load.map((x) => x.toFixed(2)).join(', ')}`);
      say(failures.length === 0 ? 'PASS' : `FAIL (${failures.length}): ${failures.join('; ')}`);
      await emitJson(args, result);
    } finally {
      await reader.close();
    }
  } finally {
    if (agents) agents.kill('SIGKILL');
    for (const c of collectors) await c.kill('SIGTERM').catch(() => undefined);
    if (failures.length > 0) say(`collector logs: ${logs.join(', ')} (kept)`);
    await database.drop().catch(() => undefined);
    if (failures.length === 0) await rm(root, { recursive: true, force: true });
  }
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`failover bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
