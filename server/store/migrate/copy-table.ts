import type { Db } from '../database.js';
import type { PgTx } from '../postgres/pg-connect.js';
import { pgArray } from '../postgres/pg-arrays.js';
import type { ColumnCopy } from './pg-columns.js';

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export interface CopyTableOptions {
  /** Rows per INSERT: memory stays at one chunk whatever the table's size. */
  chunkRows: number;
  /** Called after each chunk with the rows copied so far. */
  onChunk?: (copied: number) => void;
  /** ` WHERE …` choosing the SQLite rows to copy ('' for all). */
  where: string;
}

/**
 * Streams one SQLite table into its PostgreSQL twin in chunks: each chunk is
 * one multi-row INSERT whose parameters are one array per column
 * (`INSERT … SELECT * FROM unnest($1::bigint[], …)`), so a statement has a
 * handful of parameters whatever the chunk size. Returns the rows copied.
 */
export async function copyTable(db: Db, tx: PgTx, table: string, columns: readonly ColumnCopy[], options: CopyTableOptions): Promise<number> {
  const names = columns.map((c) => quoteIdent(c.name)).join(', ');
  const insert = `INSERT INTO ${quoteIdent(table)} (${names}) SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.kind}[]`).join(', ')})`;
  const rows = db.prepare(`SELECT ${names} FROM ${quoteIdent(table)}${options.where}`).raw(true).iterate() as IterableIterator<unknown[]>;
  let copied = 0;
  let chunk: unknown[][] = columns.map(() => []);
  let inChunk = 0;
  const flush = async () => {
    if (inChunk === 0) return;
    await tx.unsafe(insert, columns.map((c, i) => pgArray(tx, c.kind, chunk[i]!.map(c.convert))) as never[]);
    copied += inChunk;
    chunk = columns.map(() => []);
    inChunk = 0;
    options.onChunk?.(copied);
  };
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) chunk[i]!.push(row[i]);
    if (++inChunk >= options.chunkRows) await flush();
  }
  await flush();
  return copied;
}
