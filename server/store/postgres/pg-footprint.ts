import type { Pg } from './pg-connect.js';

/**
 * What the store's data and its connections cost on the server, for capacity
 * measurements (bench/store-sink-bench.ts): the bytes of the tables alone
 * (pg_database_size also counts the catalog, a fixed ~8 MB that would blur a
 * per-message figure) and the server processes serving this database.
 */

/** Bytes of every table of the current schema with its indexes and TOAST; day partitions count one by one (a partitioned parent holds nothing itself). */
export async function tableBytes(sql: Pg): Promise<number> {
  const [row] = await sql<{ bytes: number | null }[]>`
    SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')`;
  return row?.bytes ?? 0;
}

/** Process ids of the server backends connected to this database, except the one answering. */
export async function databaseBackendPids(sql: Pg): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;
  return rows.map((r) => r.pid);
}
