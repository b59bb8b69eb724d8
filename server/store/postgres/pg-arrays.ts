import type { PgQueryable } from './pg-connect.js';

/**
 * Array parameters with their PostgreSQL array type, for multi-row statements
 * written as `INSERT … SELECT * FROM unnest($1::bigint[], $2::float8[], …)`: one
 * statement shape (prepared once) whatever the number of rows, and a handful of
 * parameters instead of one per value.
 */
const ARRAY_OID = { bigint: 1016, float8: 1022, int4: 1007, text: 1009, bool: 1000 } as const;

export function pgArray(sql: PgQueryable, kind: keyof typeof ARRAY_OID, values: ReadonlyArray<number | string | boolean | null>) {
  return sql.array(values as (number | string | boolean | null)[], ARRAY_OID[kind]);
}
