import type Database from 'better-sqlite3';
import type { Db } from './database.js';

/**
 * Multi-row statements (a VALUES list of n rows) prepared once per row count
 * and kept: a batch writes its rows in one statement instead of one per row,
 * and the next batch of the same size reuses the prepared one. `sqlFor(n)` is
 * the statement for n rows; callers cut their rows with powerOfTwoChunks, so a
 * handful of sizes is ever prepared.
 */
export function statementPerRowCount(db: Db, sqlFor: (rows: number) => string): (rows: number) => Database.Statement {
  const prepared = new Map<number, Database.Statement>();
  return (rows) => {
    let st = prepared.get(rows);
    if (!st) {
      st = db.prepare(sqlFor(rows));
      prepared.set(rows, st);
    }
    return st;
  };
}

/**
 * Rows cut into chunks whose sizes are powers of two, the largest first, none over
 * `max` (a power of two): a batch of any size runs on at most log2(max) + 1 prepared
 * statements per kind, where a chunk of every size met cost a prepare each (the
 * fan-out's batches come in dozens of sizes; ~3 ms of a 1,000-site fan-out was
 * spent preparing them).
 */
export function powerOfTwoChunks<T>(rows: readonly T[], max: number): T[][] {
  const out: T[][] = [];
  for (let from = 0; from < rows.length;) {
    let size = max;
    while (size > rows.length - from) size >>= 1;
    out.push(rows.slice(from, from + size));
    from += size;
  }
  return out;
}
