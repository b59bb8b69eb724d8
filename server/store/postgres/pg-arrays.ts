import type { PgQueryable, PgTx } from './pg-connect.js';

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

/**
 * Numbers (or flags) as one array literal, `{1,2.5,NULL}`, sent as a text
 * parameter and cast in SQL (`$1::text::float8[]`). pgArray has the client
 * quote and regex-escape every element into a string of its own; on the
 * telemetry path, tens of thousands of values a batch, that garbage is most of
 * what the collector spends. A number's text needs no quoting in a literal.
 */
export function pgArrayLiteral(values: ReadonlyArray<number | boolean | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : v === true ? 't' : v === false ? 'f' : String(v);
  }
  return out + '}';
}

/**
 * The separator of pgTextList (U+001E, `chr(30)` in pgTextArray's SQL): a control
 * character, which JSON text (what the telemetry path sends as text) cannot
 * hold unescaped, so it never occurs in one.
 */
export const TEXT_LIST_SEPARATOR = '\x1e';

/**
 * Texts joined into one parameter, split again in SQL with
 * `string_to_array($1::text, chr(30))` (pgTextArray): the client writes each text once as it
 * is, where a text[] parameter makes it escape every quote of every element
 * (JSON has many) into a new string. Null when a text holds the separator or
 * is empty (string_to_array would split or drop it): the caller then sends a
 * text[] with pgArray instead.
 */
export function pgTextList(values: readonly string[]): string | null {
  for (const v of values) if (v.length === 0 || v.includes(TEXT_LIST_SEPARATOR)) return null;
  return values.join(TEXT_LIST_SEPARATOR);
}

/**
 * A text[] expression for a statement on `tx`: the texts as one joined
 * parameter split in SQL (pgTextList), or as a text[] parameter when they
 * cannot be joined.
 */
export function pgTextArray(tx: PgTx, values: readonly string[]) {
  const joined = pgTextList(values);
  return joined !== null ? tx`string_to_array(${joined}::text, chr(30))` : tx`${pgArray(tx, 'text', values)}::text[]`;
}
