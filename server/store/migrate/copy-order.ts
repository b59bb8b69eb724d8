import type { Db } from '../database.js';

/**
 * The SQLite tables in an order that inserts every referenced row before the
 * rows referring to it (sites before agents and site terms, users before their
 * tokens and sessions), read from the file's own foreign keys, so a table a
 * later migration adds needs no list kept here. Ties keep the schema's order.
 */
export function tablesInDependencyOrder(db: Db): string[] {
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all().map((r) => r.name);
  const refersTo = new Map(tables.map((t) => [t, new Set(
    db.prepare<[], { table: string }>(`SELECT "table" FROM pragma_foreign_key_list('${t.replaceAll("'", "''")}')`).all().map((r) => r.table).filter((r) => r !== t),
  )]));
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !placed.has(t) && [...refersTo.get(t)!].every((r) => placed.has(r) || !refersTo.has(r)));
    // A cycle of foreign keys (none in the schema today): copy the rest in schema order.
    const pick = next ?? tables.find((t) => !placed.has(t))!;
    ordered.push(pick);
    placed.add(pick);
  }
  return ordered;
}
