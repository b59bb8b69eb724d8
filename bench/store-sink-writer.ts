import { createLogger } from '../shared/log/logger.js';
import { openDatabase } from '../server/store/database.js';
import { openPostgresStore } from '../server/store/postgres/postgres-store.js';
import { createSqliteStore } from '../server/store/sqlite-store.js';
import type { StoreKind, StorePort } from '../server/store/store-port.js';
import { SAMPLE_WIDTH } from '../server/store/telemetry-writer.js';
import { pct } from './bench-common.js';
import { createLoadGenerator, type AgentRef } from './store-sink-load.js';

/**
 * One collector's telemetry write path, in its own process (its own event loop,
 * pool or writer thread, and CPU figure), for bench/store-sink-bench.ts. Over
 * IPC: writes the first round if asked (every agent gets its detail) and says `warm`;
 * on `go` pushes the reference load through the store's sink, one batch in
 * flight as ingest does, as fast as the sink commits, for `seconds`, and sends
 * its `result`; on `close` closes the store and exits.
 */
export interface WriterOptions {
  kind: StoreKind;
  /** SQLite: the data dir; PostgreSQL: the database URL. */
  location: string;
  agents: AgentRef[];
  minersPerSite: number;
  batchSize: number;
  seconds: number;
  /** Write the first round (every agent's detail) before the measured push. */
  firstRound: boolean;
}

export interface WriterResult {
  messages: number;
  sampleRows: number;
  minerRows: number;
  batches: number;
  elapsedS: number;
  commitMs: { p50: number; p99: number; max: number };
  /** % of one core used by this process (its main thread and, on SQLite, the writer thread) while pushing. */
  cpuPct: number;
  /** Rows the sink reported as redeliveries: every message is new, so anything here is an error. */
  notFresh: number;
}

type FromParent = { type: 'start'; options: WriterOptions } | { type: 'go' } | { type: 'close' };

function nextMessage<T extends FromParent['type']>(type: T): Promise<Extract<FromParent, { type: T }>> {
  return new Promise((resolve) => {
    const on = (m: FromParent) => {
      if (m.type !== type) return;
      process.off('message', on);
      resolve(m as Extract<FromParent, { type: T }>);
    };
    process.on('message', on);
  });
}

async function openStore(o: WriterOptions): Promise<StorePort> {
  const log = createLogger({ level: 'warn' });
  return o.kind === 'sqlite' ? createSqliteStore(openDatabase(o.location, log)) : openPostgresStore({ url: o.location, max: 2, log });
}

async function run(): Promise<void> {
  // Options come over IPC: the agent list of 10,000 sites is too long for a command-line argument.
  const starting = nextMessage('start');
  process.send!({ type: 'ready' });
  const { options: o } = await starting;
  const go = nextMessage('go');
  const closing = nextMessage('close');
  const store = await openStore(o);
  const sink = store.openTelemetrySink();
  const load = createLoadGenerator(o.agents, o.minersPerSite, Date.now());
  if (o.firstRound) for (const batch of load.firstRound()) await sink.write(batch);
  process.send!({ type: 'warm' });
  await go;

  const commitMs: number[] = [];
  let messages = 0, sampleRows = 0, minerRows = 0, notFresh = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  let next = load.next(o.batchSize);
  while (performance.now() < end) {
    const current = next;
    const started = performance.now();
    const writing = sink.write(current.batch);
    // The next batch is built while this one commits, as ingest decodes while its writer works.
    next = load.next(o.batchSize);
    const result = await writing;
    commitMs.push(performance.now() - started);
    messages += current.batch.rows.length;
    sampleRows += current.batch.rows.reduce((n, r) => n + r.samples.length / SAMPLE_WIDTH, 0);
    minerRows += current.minerRows;
    notFresh += result.fresh.length - result.fresh.reduce((n, f) => n + f, 0);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  commitMs.sort((a, b) => a - b);
  const result: WriterResult = {
    messages, sampleRows, minerRows, batches: commitMs.length, elapsedS, notFresh,
    commitMs: { p50: pct(commitMs, 50), p99: pct(commitMs, 99), max: commitMs[commitMs.length - 1] ?? NaN },
    cpuPct: ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100,
  };
  process.send!({ type: 'result', result });
  await closing;
  await sink.close();
  await store.close();
}

if (process.argv[2] === '--child') {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`store sink writer failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
