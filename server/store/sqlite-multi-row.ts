import type Database from 'better-sqlite3';
import type { Db } from './database.js';

/**
 * Multi-row statements (a VALUES list of n rows) prepared once per row count
 * and kept: a batch writes its rows in one statement instead of one per row,
 * and the next batch of the same size reuses the prepared one. `sqlFor(n)` is
 * the statement for n rows; callers chunk so n stays small (≤ a few hundred).
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
