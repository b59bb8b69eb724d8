import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeKeyPair } from '../../shared/signing/key-files.js';
import { hashToken } from '../../server/http/auth.js';
import { isRunning, signalAndWait } from './child-exit.js';
import { restartablePort } from './mosquitto.js';
import { waitFor } from './wait-for.js';
import { openStoreReader, testStoreConfig, type StoreReader } from '../../server/testing/test-store.js';
import type { StoreConfig } from '../../server/store/open-store.js';

export const HASHWATT_BIN = new URL('../../bin/hashwatt.js', import.meta.url).pathname;
export const PROCESS_TOKEN = 'process-test-operator';

/**
 * A collector as its own process (`hashwatt collector`), so a test can kill -9
 * it and start it again on the same database and broker session.
 */
export interface CollectorProcess {
  port: number;
  configFile: string;
  /** The collector's control-signing public key, for agents to trust. */
  publicKeyPath: string;
  dbFile: string;
  /** Plain SQL on what the collector stored (SQLite or PostgreSQL, as the run's store is); `write` for a test that changes it while the collector is down. */
  readStore(options?: { write?: boolean }): Promise<StoreReader>;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  running(): boolean;
  api(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }>;
}

/**
 * `store` overrides the test run's store (HASHWATT_TEST_STORE): the chaos run's
 * --cluster mode puts two collectors on one PostgreSQL database whatever the
 * environment says. `logFile` keeps the collector's log (info level, appended
 * across restarts), for a run that must explain what its collectors did.
 */
export async function collectorProcess(dir: string, options: { brokerUrl: string; prefix: string; sites: string[]; config?: Record<string, unknown>; store?: StoreConfig; logFile?: string }): Promise<CollectorProcess> {
  const keys = await writeKeyPair(join(dir, 'keys'));
  const port = await restartablePort();
  const configFile = join(dir, 'collector.yaml');
  const { prefix, sites } = options;
  // Collectors given one data dir share one store (a share group on one database).
  const dataDir = (options.config?.dataDir as string | undefined) ?? join(dir, 'data');
  const store = options.store ?? await testStoreConfig(dataDir);
  await writeFile(configFile, JSON.stringify({
    broker: { url: options.brokerUrl, clientId: `${prefix}-collector` },
    dataDir,
    store,
    signing: { privateKeyFile: keys.privateKeyPath, publicKeyFile: keys.publicKeyPath },
    http: { host: '127.0.0.1', port },
    tokens: [{ name: 'ops', role: 'operator', sha256: hashToken(PROCESS_TOKEN) }],
    sites: sites.map((id) => ({ id, name: id, allocationKw: 2000 })),
    // Only our sites: on a shared Mosquitto no other test's collector may ack these agents (nor this one theirs).
    ingest: { clientId: `${prefix}-collector`, flushMs: 50, sessionExpiryS: 120, sites },
    events: { tickMs: 200, rampSeconds: 0 },
    ...options.config,
  }));
  let child: ChildProcess | undefined;
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000), method: init.method ?? 'GET', headers: { authorization: `Bearer ${PROCESS_TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) }, ...(init.body ? { body: JSON.stringify(init.body) } : {}) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  return {
    port, configFile, publicKeyPath: keys.publicKeyPath, dbFile: join(dataDir, 'collector.db'), api,
    readStore: async (readOptions) => openStoreReader(store, dataDir, readOptions),
    running: () => isRunning(child),
    async start() {
      const log = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
      const c = spawn(process.execPath, [HASHWATT_BIN, 'collector', '--config', configFile], { stdio: ['ignore', log ?? 'ignore', 'pipe'], env: { ...process.env, HASHWATT_LOG_LEVEL: log === undefined ? 'warn' : 'info' } });
      if (log !== undefined) closeSync(log); // the child has its own copy
      child = c;
      let stderr = '';
      c.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      try {
        // Exited (on its own, or killed with -9 while it starts) ends the wait at once: waitFor would take a throw for "not yet" and wait out its 30 s.
        const outcome = await waitFor('collector healthy', async () => {
          if (!isRunning(c)) return 'exited';
          return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 200 ? 'healthy' : false;
        }, { timeoutMs: 30_000 });
        if (outcome === 'exited') throw new Error(`collector exited ${c.exitCode ?? c.signalCode} while starting`);
      } catch (err) {
        throw new Error(`${(err as Error).message}\ncollector stderr:\n${stderr.slice(-2000)}`);
      }
    },
    kill: (signal = 'SIGKILL') => signalAndWait(child, signal),
  };
}
