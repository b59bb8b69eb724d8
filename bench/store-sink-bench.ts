import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../shared/log/logger.js';
import { createTestDatabase, postgresUnavailableReason } from '../server/store/contract/pg-test-database.js';
import { openDatabase } from '../server/store/database.js';
import { backendActivity, databaseBackendPids, tableBytes, tableBytesByTable } from '../server/store/postgres/pg-footprint.js';
import { openPostgresStore, type PostgresStore } from '../server/store/postgres/postgres-store.js';
import { createSqliteStore } from '../server/store/sqlite-store.js';
import type { StoreKind, StorePort } from '../server/store/store-port.js';
import { emitJson, load, parseFlags } from './bench-common.js';
import { MESSAGES_PER_SITE_PER_S, type AgentRef } from './store-sink-load.js';
import type { WriterOptions, WriterResult } from './store-sink-writer.js';

/**
 * npm run bench -- store-sink [--sites 10000] [--miners 100] [--seconds 20] [--writers 1,2] [--batch 2000] [--json FILE]
 *
 * The store's side of ingest alone: the reference load (docs/operations.md#sizing)
 * as the WriteBatch batches ingest builds, pushed through each backend's
 * TelemetrySink as fast as it commits (one batch in flight per sink, as ingest
 * does): SQLite (one writer: SQLite has one) and PostgreSQL with each count of
 * --writers concurrent collectors (separate processes and pools, distinct
 * agents). Each backend starts fresh (a temp dir; a new database, dropped after).
 * No MQTT, no decoding: the ceiling the store puts under ingest, and its disk
 * per message. The full collector is `npm run bench -- ingest`.
 */
const args = parseFlags();
const SITES = Number(args.get('sites') ?? 10_000);
const MINERS = Number(args.get('miners') ?? 100);
const SECONDS = Number(args.get('seconds') ?? 20);
const BATCH = Number(args.get('batch') ?? 2000);
const WRITERS = (args.get('writers') ?? '1,2').split(',').map(Number);
/** docs/operations.md#sizing: 10,000 sites (1,000,000 miners at 100 each). */
const REFERENCE_SITES = 10_000;
const REFERENCE_MSG_PER_S = REFERENCE_SITES * MESSAGES_PER_SITE_PER_S;
/**
 * PostgreSQL tables that grow with time (kept by retention) as opposed to those
 * with a row per agent (agents, agent_sessions, miner_detail_latest): those are
 * updated per batch, and each update leaves a row version that autovacuum makes
 * reusable, so over a 20 s window they grow but over days they do not.
 */
const APPENDED_TABLES = ['samples', 'miner_detail', 'telemetry_log', 'telemetry_gaps'];
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const writerPath = fileURLToPath(new URL('./store-sink-writer.js', import.meta.url));
const log = createLogger({ level: 'warn' });

for (const [name, value] of [['sites', SITES], ['miners', MINERS], ['seconds', SECONDS], ['batch', BATCH], ...WRITERS.map((w) => ['writers', w] as const)] as const) {
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`store-sink bench: --${name} must be a whole number ≥ 1 (got ${JSON.stringify(args.get(name))})\n`);
    process.exit(2);
  }
}

export interface StoreSinkRun {
  backend: string;
  kind: StoreKind;
  writers: number;
  msgPerS: number;
  sampleRowsPerS: number;
  minerRowsPerS: number;
  /** Worst writer's p99 batch commit (wall time of sink.write). */
  commitP99Ms: number;
  /** Sum over the writer processes, % of one core. */
  cpuPct: number;
  /** PostgreSQL server backends serving this database, % of one core (null: SQLite, a server on another host, or /proc unreadable). */
  serverCpuPct: number | null;
  bytesPerMessage: number;
  diskGbPerDayAtReference: number;
  /** The tables that grow with time alone (APPENDED_TABLES; SQLite updates in place, so all of it). */
  appendedBytesPerMessage: number;
  appendedGbPerDayAtReference: number;
  /** Rows a sink called redeliveries (every message is new: must be 0). */
  notFresh: number;
  load: [number, number, number];
  /** Seconds to create the store, its sites and agents; to start the writers (and write the first round). */
  setupS: number;
  warmS: number;
  /** PostgreSQL: growth per message of each table (partitions under their parent's name). */
  bytesPerMessageByTable: Record<string, number>;
  /** PostgreSQL: busy backends per wait event ('CPU': running), averaged over samples every 250 ms. */
  serverBusy: Record<string, number>;
}

/** utime + stime of a process in clock ticks (100 per second on Linux); NaN when it cannot be read. */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

interface Writer {
  child: ChildProcess;
  next<T>(type: string): Promise<T>;
}

function startWriter(options: WriterOptions): Promise<Writer> {
  const child = fork(writerPath, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`store sink writer exited (${code})`))));
  exited.catch(() => undefined);
  const next = <T>(type: string) => Promise.race([
    new Promise<T>((resolve) => {
      const on = (m: { type: string; result?: T }) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m.result as T);
      };
      child.on('message', on);
    }),
    exited,
  ]);
  return next('ready').then(() => {
    child.send({ type: 'start', options });
    return { child, next };
  });
}

/** A fresh store of one backend, its sites and agents created, and how to measure and remove it. */
interface Fresh {
  location: string;
  store: StorePort;
  agents: AgentRef[];
  bytes(): Promise<number>;
  /** CPU ticks of the PostgreSQL backends serving the writers, by pid (empty on SQLite). */
  serverTicks(): Promise<Map<number, number>>;
  /** PostgreSQL: what its busy backends wait on now (empty on SQLite). */
  activity(): Promise<string[]>;
  /** PostgreSQL: bytes per table (empty on SQLite). */
  byTable(): Promise<Record<string, number>>;
  remove(): Promise<void>;
}

async function createAgents(store: StorePort): Promise<AgentRef[]> {
  const now = Date.now();
  return store.transaction(async (tx) => {
    const out: AgentRef[] = [];
    for (let i = 0; i < SITES; i++) {
      const site = `sink-s${i}`;
      const row = await tx.sites.createUnknown(site, now);
      out.push({ site, siteId: row.id, agentId: await tx.agents.ensure(row.id, 'a1') });
    }
    return out;
  });
}

async function freshStore(kind: StoreKind): Promise<Fresh> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'hashwatt-store-sink-'));
    const store = createSqliteStore(openDatabase(dir, log));
    return {
      location: dir, store, agents: await createAgents(store),
      bytes: () => store.sizeBytes(),
      serverTicks: async () => new Map(),
      activity: async () => [],
      byTable: async () => ({}),
      async remove() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase('sinkbench');
  let store: PostgresStore | undefined;
  try {
    store = await openPostgresStore({ url: database.url, max: 1, log });
    const pg = store;
    return {
      location: database.url, store, agents: await createAgents(store),
      bytes: () => tableBytes(pg.sql),
      async serverTicks() {
        // A backend's pid is only this machine's process when the server runs here.
        if (!LOCAL_HOSTS.has(new URL(database.url).hostname)) return new Map([[0, NaN]]);
        return new Map((await databaseBackendPids(pg.sql)).map((pid) => [pid, processTicks(pid)]));
      },
      activity: () => backendActivity(pg.sql),
      byTable: () => tableBytesByTable(pg.sql),
      async remove() {
        await pg.close();
        await database.drop();
      },
    };
  } catch (err) {
    await store?.close().catch(() => undefined);
    await database.drop();
    throw err;
  }
}

async function measure(kind: StoreKind, writers: number): Promise<StoreSinkRun> {
  const startLoad = load();
  const setupStart = performance.now();
  const fresh = await freshStore(kind);
  const setupS = (performance.now() - setupStart) / 1000;
  const started: Writer[] = [];
  try {
    // Distinct agents per collector: contiguous slices of the sites. SQLite keeps each agent's
    // latest detail in place, so its steady state starts once every agent has detail: the
    // first round writes it before the measured push. PostgreSQL appends detail by day
    // (docs/postgres-store.md), so its growth per message is the same from the start.
    const per = Math.ceil(fresh.agents.length / writers);
    for (let w = 0; w < writers; w++) {
      started.push(await startWriter({ kind, location: fresh.location, agents: fresh.agents.slice(w * per, (w + 1) * per), minersPerSite: MINERS, batchSize: BATCH, seconds: SECONDS, firstRound: kind === 'sqlite' }));
    }
    const warmStart = performance.now();
    await Promise.all(started.map((w) => w.next('warm')));
    const warmS = (performance.now() - warmStart) / 1000;
    const bytes0 = await fresh.bytes();
    const tables0 = await fresh.byTable();
    const ticks0 = await fresh.serverTicks();
    const t0 = performance.now();
    for (const w of started) w.child.send({ type: 'go' });
    const pushed = Promise.all(started.map((w) => w.next<WriterResult>('result')));
    // Every 250 ms, what the server's busy backends are doing: the share of samples per wait event says what limits it.
    const waits = new Map<string, number>();
    let waitSamples = 0;
    let done = false;
    let doneAt = NaN;
    void pushed.finally(() => { done = true; doneAt = performance.now(); }).catch(() => undefined);
    while (!done && kind === 'postgres') {
      for (const what of await fresh.activity()) waits.set(what, (waits.get(what) ?? 0) + 1);
      waitSamples++;
      await new Promise((r) => setTimeout(r, 250));
    }
    const results = await pushed;
    // Up to the last result, not the end of the last wait sample (up to 250 ms later).
    const elapsedS = (doneAt - t0) / 1000;
    const ticks1 = await fresh.serverTicks();
    const bytes1 = await fresh.bytes();
    const tables1 = await fresh.byTable();
    for (const w of started) w.child.send({ type: 'close' });
    await Promise.all(started.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(null) : w.child.once('exit', resolve)))));

    const sum = (f: (r: WriterResult) => number) => results.reduce((n, r) => n + f(r), 0);
    const rate = (f: (r: WriterResult) => number) => sum((r) => f(r) / r.elapsedS);
    const messages = sum((r) => r.messages);
    let serverCpuPct: number | null = null;
    if (kind === 'postgres') {
      // Backends that served the writers during the push: their ticks then, over the push's wall time.
      let ticks = 0;
      for (const [pid, t1] of ticks1) ticks += t1 - (ticks0.get(pid) ?? 0);
      serverCpuPct = Number.isFinite(ticks) ? (ticks / 100 / elapsedS) * 100 : null;
    }
    const bytesPerMessage = (bytes1 - bytes0) / messages;
    const appendedBytesPerMessage = kind === 'sqlite' ? bytesPerMessage : APPENDED_TABLES.reduce((n, t) => n + ((tables1[t] ?? 0) - (tables0[t] ?? 0)), 0) / messages;
    const perDay = (bytes: number) => (bytes * REFERENCE_MSG_PER_S * 86_400) / 1e9;
    return {
      backend: kind === 'sqlite' ? 'SQLite' : `PostgreSQL × ${writers}`, kind, writers,
      msgPerS: rate((r) => r.messages), sampleRowsPerS: rate((r) => r.sampleRows), minerRowsPerS: rate((r) => r.minerRows),
      commitP99Ms: Math.max(...results.map((r) => r.commitMs.p99)),
      cpuPct: sum((r) => r.cpuPct), serverCpuPct,
      bytesPerMessage, diskGbPerDayAtReference: perDay(bytesPerMessage),
      appendedBytesPerMessage, appendedGbPerDayAtReference: perDay(appendedBytesPerMessage),
      notFresh: sum((r) => r.notFresh), load: startLoad, setupS, warmS,
      bytesPerMessageByTable: Object.fromEntries(Object.entries(tables1).map(([t, b]) => [t, Math.round((b - (tables0[t] ?? 0)) / messages)]).filter(([, b]) => b !== 0)),
      serverBusy: Object.fromEntries([...waits].sort((a, b) => b[1] - a[1]).map(([w, n]) => [w, Math.round((n / Math.max(1, waitSamples)) * 100) / 100])),
    };
  } finally {
    for (const w of started) if (w.child.exitCode === null) w.child.kill();
    await fresh.remove();
  }
}

function report(runs: StoreSinkRun[]): string {
  const sqlite = runs.find((r) => r.kind === 'sqlite');
  const ratio = (r: StoreSinkRun, f: (x: StoreSinkRun) => number | null) => {
    const a = f(r), b = sqlite ? f(sqlite) : null;
    return r.kind === 'postgres' && a !== null && b ? ` (${(a / b).toFixed(2)}×)` : '';
  };
  const cell = (r: StoreSinkRun, f: (x: StoreSinkRun) => number | null, digits = 0) => {
    const v = f(r);
    return `${v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits)}${ratio(r, f)}`;
  };
  const head = '| backend | messages/s | sample rows/s | miner rows/s | p99 batch commit ms | CPU % of a core (writers) | PG server CPU % | disk bytes/message | disk GB/day at the reference load | of which grows with time: bytes/message | GB/day |';
  const rows = runs.map((r) => `| ${r.backend} | ${cell(r, (x) => x.msgPerS)} | ${cell(r, (x) => x.sampleRowsPerS)} | ${cell(r, (x) => x.minerRowsPerS)} | ${cell(r, (x) => x.commitP99Ms)} | ${cell(r, (x) => x.cpuPct)} | ${cell(r, (x) => x.serverCpuPct)} | ${cell(r, (x) => x.bytesPerMessage)} | ${cell(r, (x) => x.diskGbPerDayAtReference, 1)} | ${cell(r, (x) => x.appendedBytesPerMessage)} | ${cell(r, (x) => x.appendedGbPerDayAtReference, 1)} |`);
  return [head, `|${'---|'.repeat(11)}`, ...rows].join('\n');
}

async function main(): Promise<void> {
  const startLoad = load();
  process.stdout.write(`store-sink bench: ${SITES} sites × ${MINERS} miners, batches of ${BATCH} messages, ${SECONDS} s per backend; disk per day at the reference load = bytes per message × ${REFERENCE_MSG_PER_S.toFixed(0)} messages/s (${REFERENCE_SITES} sites) × 86,400 s\n`);
  const pgReason = await postgresUnavailableReason();
  if (pgReason) process.stdout.write(`PostgreSQL not measured: ${pgReason}\n`);
  const runs: StoreSinkRun[] = [];
  const plan: Array<[StoreKind, number]> = [['sqlite', 1], ...(pgReason ? [] : WRITERS.map((w) => ['postgres', w] as [StoreKind, number]))];
  for (const [kind, writers] of plan) {
    process.stdout.write(`${kind === 'sqlite' ? 'SQLite' : `PostgreSQL × ${writers}`}: set up${kind === 'sqlite' ? ', first round' : ''}, ${SECONDS} s … `);
    const r = await measure(kind, writers);
    process.stdout.write(`${r.msgPerS.toFixed(0)} messages/s (setup ${r.setupS.toFixed(1)} s, writers ready ${r.warmS.toFixed(1)} s; load average ${r.load.join(', ')})\n`);
    runs.push(r);
  }
  process.stdout.write(`\n${report(runs)}\n\n(×: ratio to SQLite. "Grows with time": on PostgreSQL ${APPENDED_TABLES.join(', ')}; the per-agent tables' updates leave row versions that autovacuum makes reusable; SQLite updates in place.) Redeliveries reported by the sinks: ${runs.reduce((n, r) => n + r.notFresh, 0)} (every message is new: anything but 0 is a store error).\n`);
  for (const r of runs.filter((x) => x.kind === 'postgres')) {
    const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || '–';
    process.stdout.write(`${r.backend}: growth per message by table (bytes): ${fmt(r.bytesPerMessageByTable)}; busy backends on average by wait: ${fmt(r.serverBusy)}\n`);
  }
  process.stdout.write(`load average at start ${startLoad.join(', ')}, at end ${load().join(', ')}\n`);
  await emitJson(args, { bench: 'store-sink', sites: SITES, miners: MINERS, seconds: SECONDS, batch: BATCH, postgresSkipped: pgReason ?? null, runs });
}

main().catch((err: unknown) => {
  process.stderr.write(`store-sink bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
