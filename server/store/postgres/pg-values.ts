import type { Sql, TransactionSql } from 'postgres';

/** A pool or a transaction: the repositories run their statements on whichever they are given. */
export type PgSql = Sql | TransactionSql;

/**
 * BIGINT and COUNT(*) arrive from the postgres client as strings (they may pass 2^53);
 * ours are millisecond timestamps, ids and counts, far inside it.
 */
export const int = (v: unknown): number => Number(v);
export const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Runs fn atomically: a transaction on a pool, a savepoint inside a transaction, so a
 * repository method that writes several rows stays all-or-nothing wherever it is called.
 */
export function atomically<T>(sql: PgSql, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return (sql as Sql).begin(fn) as Promise<T>;
}
