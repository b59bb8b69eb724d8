import Database from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log/logger.js';
import type { Db } from '../database.js';
import { MIGRATIONS } from '../migrations.js';
import { connectPostgres, type Pg, type PgTx } from '../postgres/pg-connect.js';
import { migratePostgres } from '../postgres/pg-migrate.js';
import { createPartitionManager } from '../postgres/pg-partitions.js';
import { DAY_MS, TIME_PARTITIONED_TABLES } from '../postgres/pg-time-partitioning.js';
import { tablesInDependencyOrder } from './copy-order.js';
import { copyTable, quoteIdent } from './copy-table.js';
import { planColumns } from './pg-columns.js';
import { findCollectorData, whereCollectorRows } from './target-check.js';

export interface MigrateStoreOptions {
  /** The collector's SQLite file; opened read-only. */
  sqlitePath: string;
  /** postgres://… of the target database. */
  url: string;
  /** Rows per INSERT. */
  chunkRows?: number;
  /** One line of progress for the operator. */
  report: (line: string) => void;
  log?: Logger;
}

export interface TableCount {
  table: string;
  sqlite: number;
  postgres: number;
}


/**
 * Copies a collector's SQLite database into a new PostgreSQL one:
 *  - refuses a target that already holds collector data, before writing anything;
 *  - brings the target to the latest PostgreSQL schema (the store's own migrations);
 *  - reads SQLite in one read transaction, a consistent snapshot even while a
 *    collector keeps writing the file (WAL: its commits stay out of our view);
 *  - copies table by table in foreign-key order, in chunks, all in one
 *    PostgreSQL transaction that commits only when every table's rows count
 *    the same on both sides (so a failed copy leaves the target empty again);
 *  - moves identity sequences past the copied ids and carries the control
 *    revision counter, so a migrated collector never hands out a revision
 *    agents have already seen.
 * Returns the counts per table.
 */
export async function migrateSqliteToPostgres(options: MigrateStoreOptions): Promise<TableCount[]> {
  const chunkRows = options.chunkRows ?? 5000;
  const db = openReadOnly(options.sqlitePath);
  try {
    db.exec('BEGIN');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== MIGRATIONS.length) {
      throw new AppError('UNSUPPORTED', `${options.sqlitePath} is at schema version ${version}, this build's is ${MIGRATIONS.length}: start this build's collector on it once (it migrates the file), stop it, then migrate`);
    }
    const tables = tablesInDependencyOrder(db);
    const sql = await connectPostgres(options.url, { max: 2, applicationName: 'hashwatt migrate-store', ...(options.log ? { log: options.log } : {}) });
    try {
      const occupied = await findCollectorData(sql, tables);
      if (occupied.length > 0) {
        const named = occupied.length > 4 ? `${occupied.slice(0, 4).join(', ')} and ${occupied.length - 4} more tables` : occupied.join(', ');
        throw new AppError('CONFLICT', `the target database already holds collector data (rows in ${named}); nothing was written: migrate into a new, empty database`);
      }
      await migratePostgres(sql, options.log);
      const counts = new Map(tables.map((t) => [t, sqliteCount(db, t)]));
      await createDayPartitions(db, sql, tables);
      const result = await sql.begin(async (tx) => {
        for (const table of tables) await copyWithProgress(db, tx, table, counts.get(table)!, chunkRows, options.report);
        await pointAtLatestDetail(tx);
        await resetIdentities(tx, tables);
        const lastRevision = await carryControlRevision(db, tx);
        if (lastRevision > 0) options.report(`control revision counter: ${lastRevision} (the next control gets ${lastRevision + 1} or later)`);
        // Inside the transaction: a mismatch throws and rolls the whole copy back.
        return verifyCounts(tx, counts, options.report);
      });
      return result as TableCount[];
    } finally {
      await sql.end({ timeout: 5 });
    }
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
  }
}

async function copyWithProgress(db: Db, tx: PgTx, table: string, total: number, chunkRows: number, report: (line: string) => void): Promise<void> {
  const started = Date.now();
  const columns = await planColumns(tx, table, sqliteColumns(db, table));
  let shown = 0;
  const copied = await copyTable(db, tx, table, columns, {
    chunkRows,
    where: whereCollectorRows(table),
    onChunk: (n) => {
      // A line per ~100,000 rows on big tables, so a long copy shows it moves.
      if (n - shown >= 100_000 && n < total) {
        shown = n;
        report(`  ${table}: ${n.toLocaleString('en')} of ${total.toLocaleString('en')} rows`);
      }
    },
  });
  report(`${table}: ${copied.toLocaleString('en')} rows copied in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Counts each table on PostgreSQL against SQLite's count, prints both, and throws when any differs. */
async function verifyCounts(tx: PgTx, counts: ReadonlyMap<string, number>, report: (line: string) => void): Promise<TableCount[]> {
  const summary: TableCount[] = [];
  for (const [table, sqlite] of counts) {
    const [row] = await tx.unsafe<{ n: number }[]>(`SELECT count(*)::bigint AS n FROM ${quoteIdent(table)}${whereCollectorRows(table)}`);
    summary.push({ table, sqlite, postgres: Number(row!.n) });
  }
  printSummary(summary, report);
  const differ = summary.filter((c) => c.sqlite !== c.postgres);
  if (differ.length > 0) {
    throw new AppError('INTERNAL', `row counts differ in ${differ.map((c) => `${c.table} (SQLite ${c.sqlite}, PostgreSQL ${c.postgres})`).join(', ')}; nothing was committed`);
  }
  return summary;
}

function openReadOnly(path: string): Db {
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new AppError('CONFIG_NOT_FOUND', `cannot open the collector database ${path} read-only: ${(err as Error).message}`, { cause: err });
  }
}

function sqliteColumns(db: Db, table: string): string[] {
  return db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table.replaceAll("'", "''")}')`).all().map((r) => r.name);
}

function sqliteCount(db: Db, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(table)}${whereCollectorRows(table)}`).get() as { n: number }).n;
}

/** The day partitions the copied raw samples and miner detail need, made before the copy's transaction (DDL on the parent outside it). */
async function createDayPartitions(db: Db, sql: Pg, tables: readonly string[]): Promise<void> {
  const days = new Set<number>();
  for (const table of TIME_PARTITIONED_TABLES) {
    if (!tables.includes(table)) continue;
    for (const r of db.prepare<[], { day: number }>(`SELECT DISTINCT ts / ${DAY_MS} AS day FROM ${table}`).all()) days.add(r.day * DAY_MS);
  }
  await createPartitionManager(sql).ensureFor(days);
}

/** SQLite keeps one detail row per agent and part, so each copied row is the newest of its part. */
async function pointAtLatestDetail(tx: PgTx): Promise<void> {
  await tx`INSERT INTO miner_detail_latest (site_id, agent_id, part, ts)
    SELECT site_id, agent_id, part, max(ts) FROM miner_detail GROUP BY site_id, agent_id, part`;
}

/** Identity columns continue after the highest copied id (a new row must not collide with a copied one). */
async function resetIdentities(tx: PgTx, tables: readonly string[]): Promise<void> {
  const identities = await tx<{ table: string; column: string }[]>`
    SELECT c.relname AS table, a.attname AS column FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE a.attidentity <> '' AND n.nspname = current_schema() AND c.relname = ANY(${tables as string[]})`;
  for (const { table, column } of identities) {
    await tx.unsafe(`SELECT setval(pg_get_serial_sequence($1, $2), top) FROM (SELECT max(${quoteIdent(column)}) AS top FROM ${quoteIdent(table)}) m WHERE top IS NOT NULL`, [quoteIdent(table), column]);
  }
}

/**
 * SQLite counts control revisions in meta 'control_revision'; PostgreSQL in the
 * control_revision row that leaders reserve from (server/cluster/control-revision.ts).
 * The row starts at the highest revision SQLite handed out or stored, under the
 * first epoch, so the first leader's reservation continues above it.
 */
async function carryControlRevision(db: Db, tx: PgTx): Promise<number> {
  const row = db.prepare(`SELECT max(
      COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'control_revision'), 0),
      COALESCE((SELECT max(revision) FROM controls), 0),
      COALESCE((SELECT max(revision) FROM event_targets), 0)) AS last`).get() as { last: number };
  if (row.last > 0) await tx`INSERT INTO control_revision (id, last_revision, epoch) VALUES (true, ${row.last}, 1)`;
  return row.last;
}

function printSummary(summary: readonly TableCount[], report: (line: string) => void): void {
  const width = Math.max(5, ...summary.map((c) => c.table.length));
  report('');
  report(`${'table'.padEnd(width)}  ${'SQLite'.padStart(12)}  ${'PostgreSQL'.padStart(12)}`);
  for (const c of summary) {
    report(`${c.table.padEnd(width)}  ${c.sqlite.toLocaleString('en').padStart(12)}  ${c.postgres.toLocaleString('en').padStart(12)}${c.sqlite === c.postgres ? '' : '  DIFFERENT'}`);
  }
}
