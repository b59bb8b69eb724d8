import type { Pg } from '../postgres/pg-connect.js';
import { quoteIdent } from './copy-table.js';

/**
 * ` WHERE …` selecting a table's collector rows, or '' for all of them: on
 * PostgreSQL meta also holds keys the schema writes itself (pg-migrations.ts:
 * time_partitioning), neither copied nor counted.
 */
export function whereCollectorRows(table: string): string {
  return table === 'meta' ? " WHERE key <> 'time_partitioning'" : '';
}

/**
 * The collector tables of the target that already hold rows: a migration
 * never writes into a database a collector already uses (its ids, revisions
 * and samples would collide with the copied ones). A database without the
 * hashwatt schema holds none.
 */
export async function findCollectorData(sql: Pg, tables: readonly string[]): Promise<string[]> {
  const [migrated] = await sql<{ present: boolean }[]>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`;
  if (!migrated!.present) return [];
  const occupied: string[] = [];
  for (const table of [...tables, 'control_revision', 'leader_lease']) {
    const [exists] = await sql<{ present: boolean }[]>`SELECT to_regclass(${quoteIdent(table)}) IS NOT NULL AS present`;
    if (!exists!.present) continue;
    const [row] = await sql.unsafe<{ any: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM ${quoteIdent(table)}${whereCollectorRows(table)}) AS any`);
    if (row!.any) occupied.push(table);
  }
  return occupied;
}
