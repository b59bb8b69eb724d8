import type { Db } from './database.js';

export const ACTOR_KINDS = ['user', 'service', 'compliance', 'cli', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export interface AuditEntry {
  id: number;
  ts: number;
  actorKind: ActorKind;
  actor: string;
  ip: string | null;
  action: string;
  site: string | null;
  target: string | null;
  before: unknown;
  after: unknown;
}

export type AuditInput = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  site?: string;
  actor?: string;
  /** An exact action, or a prefix ending in '.' (e.g. "event."). */
  action?: string;
  from?: number;
  to?: number;
  limit?: number;
  /** Entries with an id below this (paging backwards). */
  beforeId?: number;
}

interface Raw { id: number; ts: number; actor_kind: ActorKind; actor: string; ip: string | null; action: string; site: string | null; target: string | null; before: string | null; after: string | null }

const toEntry = (r: Raw): AuditEntry => ({
  id: r.id, ts: r.ts, actorKind: r.actor_kind, actor: r.actor, ip: r.ip, action: r.action, site: r.site, target: r.target,
  before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after),
});

export type AuditRepository = ReturnType<typeof createAuditRepository>;

/** The audit log: INSERT and SELECT only (the schema's triggers refuse UPDATE and DELETE). */
export function createAuditRepository(db: Db) {
  const insert = db.prepare('INSERT INTO audit_log (ts, actor_kind, actor, ip, action, site, target, before, after) VALUES (@ts, @actorKind, @actor, @ip, @action, @site, @target, @before, @after)');
  const query = db.prepare<Record<string, unknown>, Raw>(
    `SELECT * FROM audit_log
     WHERE (@site IS NULL OR site = @site OR (site IS NULL AND action LIKE 'event.%' AND EXISTS (SELECT 1 FROM json_each(after, '$.sites') WHERE value = @site))) AND (@actor IS NULL OR actor = @actor)
       AND (@action IS NULL OR action = @action OR (substr(@action, -1) = '.' AND substr(action, 1, length(@action)) = @action))
       AND ts >= @from AND ts <= @to AND id < @beforeId
     ORDER BY id DESC LIMIT @limit`);

  return {
    append(e: AuditInput): number {
      return Number(insert.run({
        ...e, before: e.before === undefined || e.before === null ? null : JSON.stringify(e.before), after: e.after === undefined || e.after === null ? null : JSON.stringify(e.after),
      }).lastInsertRowid);
    },
    list(q: AuditQuery): AuditEntry[] {
      return query.all({
        site: q.site ?? null, actor: q.actor ?? null, action: q.action ?? null, from: q.from ?? 0, to: q.to ?? Number.MAX_SAFE_INTEGER,
        beforeId: q.beforeId ?? Number.MAX_SAFE_INTEGER, limit: q.limit ?? 500,
      }).map(toEntry);
    },
  };
}
