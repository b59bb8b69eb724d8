import type { Db } from './agent-db.js';

/** Small persisted counters and flags (the session counter). */
export function createMetaRepository(db: Db) {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const put = db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  return {
    /** Increments and returns the session counter: one per agent start (Sparkplug's bdSeq). */
    nextSession: db.transaction((): number => {
      const row = get.get('session');
      const next = (row ? Number(row.value) : 0) + 1;
      put.run('session', String(next));
      return next;
    }),
  };
}
export type MetaRepository = ReturnType<typeof createMetaRepository>;
