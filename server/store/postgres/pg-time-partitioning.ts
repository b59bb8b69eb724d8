import type { PgQueryable } from './pg-connect.js';

/**
 * How the raw-sample and per-miner-detail tables are split by time:
 *  - `native`: PostgreSQL declarative partitioning, RANGE on the millisecond
 *    timestamp, one partition per UTC day (pg-partitions.ts creates and drops them);
 *  - `timescaledb`: TimescaleDB hypertables with one-day chunks, used when the
 *    extension is installed in the database at the first migration (a DBA runs
 *    `CREATE EXTENSION timescaledb`, which needs the library in
 *    shared_preload_libraries). TimescaleDB creates chunks itself; retention
 *    calls drop_chunks.
 * The choice is made once, at the migration, and kept in meta.time_partitioning:
 * a table cannot change between the two later without a rebuild.
 */
export type TimePartitioning = 'native' | 'timescaledb';

/** The time-partitioned tables; both are keyed and split on `ts` (ms since the epoch). */
export const TIME_PARTITIONED_TABLES = ['samples', 'miner_detail'] as const;
export type TimePartitionedTable = (typeof TIME_PARTITIONED_TABLES)[number];

export const DAY_MS = 86_400_000;

/** The DDL that makes `table` time-partitioned: a suffix of its CREATE TABLE, and a statement after it. */
export function timePartitioningDdl(partitioning: TimePartitioning, table: TimePartitionedTable): { tableSuffix: string; after: string } {
  if (partitioning === 'native') return { tableSuffix: ' PARTITION BY RANGE (ts)', after: '' };
  return { tableSuffix: '', after: `SELECT create_hypertable('${table}', 'ts', chunk_time_interval => ${DAY_MS}::bigint);` };
}

/** Which partitioning a new schema gets: TimescaleDB when the extension is installed in this database. */
export async function detectPartitioning(sql: PgQueryable): Promise<TimePartitioning> {
  const rows = await sql<{ n: number }[]>`SELECT count(*) AS n FROM pg_extension WHERE extname = 'timescaledb'`;
  return rows[0]!.n > 0 ? 'timescaledb' : 'native';
}

/** The partitioning an existing schema was created with. */
export async function schemaPartitioning(sql: PgQueryable): Promise<TimePartitioning> {
  const rows = await sql<{ value: string }[]>`SELECT value FROM meta WHERE key = 'time_partitioning'`;
  return rows[0]?.value === 'timescaledb' ? 'timescaledb' : 'native';
}
