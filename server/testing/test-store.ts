import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { DB_FILE } from '../store/database.js';
import type { StoreConfig } from '../store/open-store.js';
import { createTestDatabase } from '../store/contract/pg-test-database.js';

/**
 * The store integration tests run on. SQLite by default; with
 * HASHWATT_TEST_STORE=postgres (the test runner's Mosquitto pass) each test
 * collector gets its own new PostgreSQL database, so every integration test
 * also runs on the PostgreSQL store.
 */
export const TEST_STORE = process.env.HASHWATT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** Test databases are named hashwatt_itest_…; the test runner drops the ones a previous run left. */
export const INTEGRATION_DB_LABEL = 'itest';

const byDataDir = new Map<string, Promise<StoreConfig>>();

/**
 * The `store:` of a test collector on `dataDir`. A collector started again on the
 * same data dir (a restart test) finds the same database, as it finds its SQLite file.
 */
export function testStoreConfig(dataDir: string): Promise<StoreConfig> {
  if (TEST_STORE === 'sqlite') return Promise.resolve({ kind: 'sqlite' });
  let config = byDataDir.get(dataDir);
  if (!config) {
    config = createTestDatabase(INTEGRATION_DB_LABEL).then((db) => ({ kind: 'postgres' as const, url: db.url, poolSize: 4 }));
    byDataDir.set(dataDir, config);
  }
  return config;
}

/**
 * Plain SQL on a test collector's store, for assertions on what is stored (COUNT,
 * MAX… written so both dialects take them). Read-only unless opened with `write`
 * (a test that proves the database itself refuses a change).
 */
export interface StoreReader {
  /** `?` placeholders, as in SQLite; numbers come back as numbers on both stores; a statement without rows gives []. */
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function openStoreReader(store: StoreConfig, dataDir: string, options: { write?: boolean } = {}): StoreReader {
  if (store.kind === 'sqlite') {
    const db = new Database(join(dataDir, DB_FILE), { readonly: !options.write, fileMustExist: true });
    return {
      all: async <T>(sql: string, ...params: unknown[]) => {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as T[];
        statement.run(...params);
        return [];
      },
      close: async () => void db.close(),
    };
  }
  // bigint (COUNT, ids) and numeric as JS numbers, as better-sqlite3 gives them.
  const asNumber = { to: 20, from: [20, 1700], serialize: String, parse: Number };
  const sql = postgres(store.url, { max: 1, idle_timeout: 5, onnotice: () => undefined, types: { bigint: asNumber } });
  return {
    all: async <T>(text: string, ...params: unknown[]) => {
      let n = 0;
      return [...(await sql.unsafe(text.replace(/\?/g, () => `$${++n}`), params as never[]))] as unknown as T[]; // a plain array, as SQLite gives
    },
    close: () => sql.end({ timeout: 1 }),
  };
}
