import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../shared/log/logger.js';
import { openDatabase } from '../database.js';
import { openPostgresStore, type PostgresStore } from '../postgres/postgres-store.js';
import type { SiteDefaults } from '../site-repository.js';
import { createSqliteStore } from '../sqlite-store.js';
import type { StoreKind, StorePort } from '../store-port.js';
import { createTestDatabase, postgresSkipReason } from './pg-test-database.js';

const log = createLogger({ level: 'silent' });

/** What a contract case gets: a fresh, empty, migrated store of one backend. */
export interface ContractContext {
  kind: StoreKind;
  store: StorePort;
  /**
   * Another store on the same data: a restarted collector on SQLite, a second
   * collector on PostgreSQL. Closed by the harness.
   */
  reopen(): Promise<StorePort>;
  /** The PostgreSQL store (pool, partitions) when kind is postgres, for backend-specific checks. */
  postgres: PostgresStore | undefined;
}

/** One behaviour both backends must have; `run` asserts it through the port only (or says why not). */
export interface ContractCase {
  name: string;
  siteDefaults?: SiteDefaults;
  run(ctx: ContractContext): Promise<void>;
}

export const BACKENDS: readonly StoreKind[] = ['sqlite', 'postgres'];

/**
 * Opens a fresh store of `kind` (SQLite in a temp dir; PostgreSQL in a new
 * uniquely named database), runs `fn`, then closes every store it opened and
 * removes the dir or drops the database, also when `fn` fails.
 */
export async function withFreshStore<T>(kind: StoreKind, fn: (ctx: ContractContext) => Promise<T>, options: { siteDefaults?: SiteDefaults } = {}): Promise<T> {
  const opened: StorePort[] = [];
  const track = <S extends StorePort>(s: S): S => (opened.push(s), s);
  const closeAll = async () => {
    for (const s of opened.reverse()) await s.close().catch(() => undefined);
  };
  const siteDefaults = options.siteDefaults ? { siteDefaults: options.siteDefaults } : {};
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hashwatt-contract-'));
    const open = () => track(createSqliteStore(openDatabase(dir, log), siteDefaults));
    try {
      return await fn({ kind, store: open(), reopen: async () => open(), postgres: undefined });
    } finally {
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const database = await createTestDatabase();
  try {
    const open = async () => track(await openPostgresStore({ url: database.url, max: 4, log, ...siteDefaults }));
    const store = await open();
    return await fn({ kind, store, reopen: open, postgres: store });
  } finally {
    await closeAll();
    await database.drop();
  }
}

/**
 * Registers each case once per backend as a node:test test named
 * "<case> [sqlite]" / "<case> [postgres]". Where PostgreSQL is unreachable its
 * tests are skipped with the reason printed, except under CI=true, where they fail.
 */
export async function runStoreContract(cases: readonly ContractCase[], backends: readonly StoreKind[] = BACKENDS): Promise<void> {
  let pgSkip: string | undefined;
  let pgFailure: string | undefined;
  if (backends.includes('postgres')) {
    try {
      pgSkip = await postgresSkipReason();
    } catch (err) {
      pgFailure = (err as Error).message;
    }
  }
  for (const kind of backends) {
    for (const c of cases) {
      const skip = kind === 'postgres' ? pgSkip : undefined;
      test(`${c.name} [${kind}]`, skip ? { skip } : {}, async () => {
        if (kind === 'postgres' && pgFailure) assert.fail(pgFailure);
        await withFreshStore(kind, (ctx) => c.run(ctx), c.siteDefaults ? { siteDefaults: c.siteDefaults } : {});
      });
    }
  }
}
