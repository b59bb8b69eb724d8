import type { Logger } from '../../../shared/log/logger.js';
import type { SiteDefaults } from '../site-repository.js';
import type { StorePort, StoreRepositories, TelemetrySink } from '../store-port.js';
import { connectPostgres, type Pg } from './pg-connect.js';
import { migratePostgres } from './pg-migrate.js';
import { createPartitionManager, type PartitionManager } from './pg-partitions.js';
import { createPgRepositories } from './pg-repositories.js';
import { createPgTelemetrySink } from './pg-telemetry-sink.js';
import { createTransactionScope, type TransactionScope } from '../transaction-scope.js';

export interface PostgresStoreOptions {
  /** postgres://user[:password]@host:port/database */
  url: string;
  /** Pool size. */
  max?: number;
  log?: Logger;
  siteDefaults?: SiteDefaults;
}

export interface PostgresStore extends StorePort {
  readonly kind: 'postgres';
  /** The pool, for what is PostgreSQL-only (LISTEN/NOTIFY, leader lock) and for tests. */
  readonly sql: Pg;
  /** Day partitions of raw samples and per-miner detail: the retention job calls createAhead and dropBefore. */
  readonly partitions: PartitionManager;
}

/** The pool's repositories, each method refusing a call from inside one of this store's transactions (see transaction-scope.ts). */
function refusedInsideTransactions(repos: StoreRepositories, scope: TransactionScope): StoreRepositories {
  const guard = (repo: object): object => new Proxy(repo, {
    get(target, name, receiver) {
      const member: unknown = Reflect.get(target, name, receiver);
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => {
        scope.refuseFromInside('a call through the store');
        return (member as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return Object.fromEntries(Object.entries(repos).map(([name, repo]) => [name, guard(repo as object)])) as unknown as StoreRepositories;
}

/** Connects (a pool), brings the schema up to date and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const sql = await connectPostgres(options.url, { ...(options.max !== undefined ? { max: options.max } : {}), ...(options.log ? { log: options.log } : {}) });
  try {
    await migratePostgres(sql, options.log);
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
  const partitions = createPartitionManager(sql);
  await partitions.createAhead(Date.now());
  const ctx = { siteDefaults: options.siteDefaults ?? { greyTariffPerKwh: 0 }, partitions };
  const sinks = new Set<TelemetrySink>();
  const scope = createTransactionScope();
  return {
    kind: 'postgres',
    sql,
    partitions,
    ...refusedInsideTransactions(createPgRepositories(sql, ctx), scope),
    transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T> {
      scope.refuseFromInside('a transaction');
      return sql.begin((tx) => scope.run(() => fn(createPgRepositories(tx, ctx)))) as Promise<T>;
    },
    openTelemetrySink(): TelemetrySink {
      const sink = createPgTelemetrySink(sql, partitions);
      sinks.add(sink);
      return sink;
    },
    async sizeBytes(): Promise<number> {
      const [row] = await sql<{ bytes: number }[]>`SELECT pg_database_size(current_database()) AS bytes`;
      return row!.bytes;
    },
    async close(): Promise<void> {
      for (const sink of sinks) await sink.close();
      await sql.end({ timeout: 5 });
    },
  };
}
