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

/** Bytes per table, a partitioned table counted with all its partitions (the parent's name stands for them). */
export async function tableBytesByTable(sql: Pg): Promise<Record<string, number>> {
  const rows = await sql<{ name: string; bytes: number }[]>`
    SELECT coalesce(pg_partition_root(c.oid), c.oid)::regclass::text AS name, sum(pg_total_relation_size(c.oid))::bigint AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')
    GROUP BY 1 ORDER BY 2 DESC`;
  return Object.fromEntries(rows.map((r) => [r.name, r.bytes]));
}

/**
 * What the backends of this database are doing right now, one entry per busy
 * backend: the wait event (e.g. `IO:WALSync`, `Lock:transactionid`) or `CPU`
 * when running. Sampled during a load it shows what limits the server.
 */
export async function backendActivity(sql: Pg): Promise<string[]> {
  const rows = await sql<{ what: string }[]>`
    SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS what FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`;
  return rows.map((r) => r.what);
}
