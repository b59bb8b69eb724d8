import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger, type Logger } from '../../shared/log/logger.js';
import { writeKeyPair } from '../../shared/signing/key-files.js';
import { startTestBroker, uniqueId, type TestBroker } from '../../test/helpers/broker.js';
import { CollectorConfigSchema, type CollectorConfig } from '../config/collector-config.js';
import { hashToken } from '../http/auth.js';
import { createCollector, type Collector, type CreateCollectorOptions } from '../main.js';
import { createOpenApiValidator } from './openapi-validator.js';
import { openStoreReader, testStoreConfig, type StoreReader } from './test-store.js';
import type { ChangeHook, RegistryChange } from '../audit/change-hook.js';
export type { RegistryChange };

export const TOKENS = { viewer: 'viewer-token-1234', operator: 'operator-token-1234', grid: 'grid-token-1234', admin: 'admin-token-1234' } as const;

export interface TestCollector {
  collector: Collector;
  broker: TestBroker;
  config: CollectorConfig;
  dataDir: string;
  keysDir: string;
  /** Prefix for site ids, unique to this run (Mosquitto keeps retained messages). */
  prefix: string;
  api(path: string, init?: { method?: string; body?: unknown; token?: keyof typeof TOKENS | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  /** Plain SQL on what the collector stored (SQLite or PostgreSQL, as the run's store is). */
  readStore(options?: { write?: boolean }): StoreReader;
  stop(): Promise<void>;
}

/** A collector on a temp data dir and a free HTTP port, over the run's test broker. */
export async function startTestCollector(overrides: Record<string, unknown> = {}, options: { log?: Logger; broker?: TestBroker; dataDir?: string; prefix?: string; serveSites?: string[]; onChange?: ChangeHook; extendHttp?: CreateCollectorOptions['extendHttp']; clock?: () => number } = {}): Promise<TestCollector> {
  const broker = options.broker ?? (await startTestBroker());
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'hashwatt-collector-')));
  const keysDir = join(dataDir, 'keys');
  const keys = await writeKeyPair(keysDir, { force: true });
  const prefix = options.prefix ?? uniqueId('t');
  const config = CollectorConfigSchema.parse({
    broker: { url: broker.url },
    dataDir,
    store: await testStoreConfig(dataDir),
    signing: { privateKeyFile: keys.privateKeyPath, publicKeyFile: keys.publicKeyPath },
    http: { host: '127.0.0.1', port: 0 },
    tokens: Object.entries(TOKENS).map(([role, token]) => ({ name: role, sha256: hashToken(token), role })),
    // Only this test's sites: on a shared Mosquitto another test's collector must not ack our agents, nor we theirs.
    ingest: { clientId: `${prefix}-collector`, flushMs: 50, sessionExpiryS: 120, gapTimeoutS: 2, ...(options.serveSites ? { sites: options.serveSites } : {}) },
    events: { tickMs: 200, rampSeconds: 0 },
    ...overrides,
  });
  const collector = createCollector({ config, log: options.log ?? createSilentLogger(), ...(options.onChange ? { onChange: options.onChange } : {}), ...(options.extendHttp ? { extendHttp: options.extendHttp } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  await collector.start();
  // Every answer any integration test gets is checked against the served OpenAPI document.
  // (Not over HTTPS with a test's self-signed certificate, which fetch refuses; that test uses node:https.)
  const openapi = collector.httpUrl.startsWith('https:') ? undefined : createOpenApiValidator((await (await fetch(`${collector.httpUrl}/api/v1/openapi.json`)).json()) as Record<string, unknown>);
  return {
    collector, broker, config, dataDir, keysDir, prefix,
    async api(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const token = init.token === undefined ? 'operator' : init.token;
      if (token) headers.authorization = `Bearer ${TOKENS[token]}`;
      if (init.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${collector.httpUrl}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}) });
      const text = await res.text();
      let body: unknown;
      try { body = JSON.parse(text); } catch { body = undefined; }
      const problems = openapi?.check(init.method ?? 'GET', path, res.status, res.headers.get('content-type'), body);
      if (problems?.length) throw new Error(`the API answered outside its OpenAPI document:\n  ${problems.join('\n  ')}\nbody: ${text.slice(0, 500)}`);
      return { status: res.status, body, text, headers: res.headers };
    },
    readStore: (o) => openStoreReader(config.store, dataDir, o),
    async stop() {
      await collector.stop();
      if (!options.broker) await broker.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
