import { AppError } from '../../../shared/errors.js';
import type { PgQueryable } from '../postgres/pg-connect.js';

/** The array type a column's values travel in (server/store/postgres/pg-arrays.ts). */
export type ArrayKind = 'bigint' | 'float8' | 'int4' | 'text' | 'bool';

const KIND_OF_TYPE: Record<string, ArrayKind> = {
  bigint: 'bigint',
  'double precision': 'float8',
  integer: 'int4',
  text: 'text',
  boolean: 'bool',
};

export interface ColumnCopy {
  name: string;
  kind: ArrayKind;
  /** SQLite's value as PostgreSQL takes it: 0/1 flags become booleans, the rest goes as it is. */
  convert: (value: unknown) => number | string | boolean | null;
}

const asIs = (v: unknown) => v as number | string | null;
const asBoolean = (v: unknown) => (v === null || v === undefined ? null : v !== 0 && v !== '0');

/**
 * How each SQLite column goes into its PostgreSQL table, decided by the
 * PostgreSQL column's type (pg-migrations.ts): the two schemas differ in types
 * only, so reading the target catalog keeps this from drifting from the schema.
 */
export async function planColumns(sql: PgQueryable, table: string, sqliteColumns: readonly string[]): Promise<ColumnCopy[]> {
  const rows = await sql<{ name: string; type: string }[]>`
    SELECT column_name AS name, data_type AS type FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table}`;
  if (rows.length === 0) throw new AppError('UNSUPPORTED', `SQLite table ${table} has no PostgreSQL table to go to (is this build's PostgreSQL schema older than the SQLite file?)`);
  const types = new Map(rows.map((r) => [r.name, r.type]));
  return sqliteColumns.map((name) => {
    const type = types.get(name);
    if (type === undefined) throw new AppError('UNSUPPORTED', `SQLite column ${table}.${name} has no PostgreSQL column to go to`);
    const kind = KIND_OF_TYPE[type];
    if (kind === undefined) throw new AppError('UNSUPPORTED', `PostgreSQL column ${table}.${name} has type ${type}, which the migration does not convert`);
    return { name, kind, convert: kind === 'bool' ? asBoolean : asIs };
  });
}
