import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../shared/log/logger.js';
import { writeKeyPair } from '../shared/signing/key-files.js';
import { CollectorConfigSchema } from '../server/config/collector-config.js';
import { createCollector } from '../server/main.js';
import type { StoreConfig } from '../server/store/open-store.js';
import { createTestDatabase } from '../server/store/contract/pg-test-database.js';
import { openStoreReader, type StoreReader } from '../server/testing/test-store.js';
import { startMeter, type MeterReading } from './ingest-bench-meter.js';
import { sumCounter } from './ingest-bench-checks.js';

/**
 * The collector(s) the ingest bench measures: one collector in the bench's own
 * process (the SQLite default, which also gives the main vs writer thread split
 * and the event-loop delay), or N `hashwatt collector --config` processes on one
 * fresh store (every PostgreSQL run, and `--collector-process` on SQLite), in one
 * MQTT share group when N > 1. Whichever it is, the bench reads the same things:
 * the summed Prometheus counters, CPU and RSS of the processes, and plain SQL on
 * the store.
 */
export type StoreKind = 'sqlite' | 'postgres';

export interface CollectorsOptions {
  kind: StoreKind;
  count: number;
  inThisProcess: boolean;
  brokerUrl: string;
  prefix: string;
  sites: number;
  poolSize: number;
}

export interface IngestCounters {
  messages: number;
  minerRows: number;
  duplicates: number;
  rejects: number;
  commitSeconds: number;
}

export interface CollectorsUnderTest {
  /** How they ran, for the output: "SQLite, 1 collector in the bench process". */
  label: string;
  counters(): Promise<IngestCounters>;
  meter(): () => Promise<MeterReading>;
  storeBytes(): Promise<number>;
  reader: StoreReader;
  /** Collector processes' stderr (warnings and errors), kept after the run for a look when a check fails. */
  logFiles: string[];
  /** Stops the collectors (SIGTERM, as an operator would), then removes the store. */
  close(): Promise<void>;
}

const HASHWATT_BIN = new URL('../bin/hashwatt.js', import.meta.url).pathname;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const kindName = (kind: StoreKind): string => (kind === 'sqlite' ? 'SQLite' : 'PostgreSQL');

/** The first call runs `fn`; later calls get the same promise (close after a failure that already closed). */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function countersFrom(text: string): Promise<IngestCounters> {
  return {
    messages: sumCounter(text, 'hashwatt_ingest_messages_total'),
    minerRows: sumCounter(text, 'hashwatt_ingest_miner_rows_total'),
    duplicates: sumCounter(text, 'hashwatt_ingest_duplicates_total'),
    rejects: sumCounter(text, 'hashwatt_ingest_rejects_total'),
    commitSeconds: sumCounter(text, 'hashwatt_ingest_batch_commit_seconds_sum'),
  };
}

const addCounters = (all: IngestCounters[]): IngestCounters => all.reduce((a, c) => ({
  messages: a.messages + c.messages, minerRows: a.minerRows + c.minerRows, duplicates: a.duplicates + c.duplicates, rejects: a.rejects + c.rejects, commitSeconds: a.commitSeconds + c.commitSeconds,
}), { messages: 0, minerRows: 0, duplicates: 0, rejects: 0, commitSeconds: 0 });

/** Resolves when the collector answers /healthz 200 (connected and subscribed), rejects when it exits first. */
async function waitHealthy(child: ChildProcess, port: number, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`collector exited (${child.exitCode ?? child.signalCode}): ${stderr().slice(-2000)}`);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`collector not healthy after ${timeoutMs / 1000} s: ${stderr().slice(-2000)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(killer);
}

export async function startCollectors(o: CollectorsOptions): Promise<CollectorsUnderTest> {
  if (o.count > 1 && o.kind !== 'postgres') throw new Error('--collectors above 1 needs --store postgres: collectors share ingest only on a shared store');
  if (o.inThisProcess && o.count !== 1) throw new Error('only one collector runs in the bench process');
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-ingest-bench-'));
  const database = o.kind === 'postgres' ? await createTestDatabase('ingestbench') : undefined;
  const store: StoreConfig = database ? { kind: 'postgres', url: database.url, poolSize: o.poolSize } : { kind: 'sqlite' };
  const removeStore = async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const keys = await writeKeyPair(join(dir, 'keys'));
    const siteIds = Array.from({ length: o.sites }, (_, i) => `${o.prefix}-s${i}`);
    const base = {
      dataDir: dir, store,
      signing: { privateKeyFile: keys.privateKeyPath, publicKeyFile: keys.publicKeyPath },
      sites: siteIds.map((id, i) => ({ id, name: `Site ${i}`, allocationKw: 400, region: `r${i % 20}` })),
    };
    // Each collector its own MQTT client id (one session each); all in one share group when several.
    // Only the bench's sites (ingest.sites): on a shared Mosquitto the bench's collectors must
    // not ack, store or count the agents of tests running beside it.
    const instance = (i: number) => ({
      broker: { url: o.brokerUrl, clientId: `${o.prefix}-collector-${i}` },
      ingest: { clientId: `${o.prefix}-collector-${i}`, sessionExpiryS: 60, sites: siteIds, ...(o.count > 1 ? { shareGroup: `${o.prefix}-ingest` } : {}) },
    });
    const serverPids = database && LOCAL_HOSTS.has(new URL(database.url).hostname)
      ? async () => (await reader.all<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).map((r) => r.pid)
      : undefined;
    let reader: StoreReader;
    const storeBytesSql = o.kind === 'postgres'
      ? 'SELECT pg_database_size(current_database()) AS bytes'
      : 'SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()';

    if (o.inThisProcess) {
      const config = CollectorConfigSchema.parse({ ...base, ...instance(0), http: { host: '127.0.0.1', port: 0 } });
      const collector = createCollector({ config, log: createLogger({ level: 'error' }) });
      await collector.start();
      reader = openStoreReader(store, dir);
      return {
        label: `${kindName(o.kind)}, 1 collector in the bench process`,
        reader, logFiles: [],
        counters: async () => countersFrom(await collector.metrics.registry.metrics()),
        meter: () => startMeter({ pids: [process.pid], inThisProcess: true, ...(serverPids ? { serverPids } : {}) }),
        storeBytes: () => collector.store.sizeBytes(),
        close: once(async () => {
          await reader.close();
          await collector.stop();
          await removeStore();
        }),
      };
    }

    const children: Array<{ child: ChildProcess; port: number }> = [];
    const logFiles: string[] = [];
    const stopAll = () => Promise.all(children.map((c) => stopChild(c.child)));
    try {
      // One after the other: the first migrates the fresh store and creates the sites, the next finds them.
      for (let i = 0; i < o.count; i++) {
        const port = await freePort();
        const configFile = join(dir, `collector-${i}.json`);
        await writeFile(configFile, JSON.stringify({ ...base, ...instance(i), http: { host: '127.0.0.1', port } }));
        const child = spawn(process.execPath, [HASHWATT_BIN, 'collector', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HASHWATT_LOG_LEVEL: 'warn' } });
        let stderr = '';
        const logFile = join(tmpdir(), `hashwatt-ingest-bench-${o.prefix}-collector-${i}.log`);
        logFiles.push(logFile);
        const logStream = createWriteStream(logFile);
        // The log (stdout, warn and up) to a file; stderr also kept for a failed start.
        child.stdout!.pipe(logStream, { end: false });
        child.stderr!.pipe(logStream, { end: false });
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.length > 100_000) stderr = stderr.slice(-20_000);
        });
        children.push({ child, port });
        await waitHealthy(child, port, () => stderr, 180_000);
      }
    } catch (err) {
      await stopAll();
      throw err;
    }
    reader = openStoreReader(store, dir);
    return {
      label: `${kindName(o.kind)}, ${o.count} collector process${o.count > 1 ? `es in one share group` : ''}`,
      reader, logFiles,
      async counters() {
        const texts = await Promise.all(children.map(async ({ port }) => (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()));
        return addCounters(await Promise.all(texts.map(countersFrom)));
      },
      meter: () => startMeter({ pids: children.map((c) => c.child.pid!), inThisProcess: false, ...(serverPids ? { serverPids } : {}) }),
      storeBytes: async () => (await reader.all<{ bytes: number }>(storeBytesSql))[0]!.bytes,
      close: once(async () => {
        await reader.close();
        await stopAll();
        await removeStore();
      }),
    };
  } catch (err) {
    await removeStore().catch(() => undefined);
    throw err;
  }
}
