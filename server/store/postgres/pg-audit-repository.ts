import type { AuditEntry, AuditRepository } from '../audit-repository.js';
import type { AsyncOf } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';

interface Raw { id: number; ts: number; actor_kind: AuditEntry['actorKind']; actor: string; ip: string | null; action: string; site: string | null; target: string | null; before: string | null; after: string | null }

const toEntry = (r: Raw): AuditEntry => ({
  id: r.id, ts: r.ts, actorKind: r.actor_kind, actor: r.actor, ip: r.ip, action: r.action, site: r.site, target: r.target,
  before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after),
});
const jsonOrNull = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** AuditRepository on PostgreSQL: INSERT and SELECT only (the schema refuses UPDATE and DELETE). */
export function createPgAuditRepository(sql: PgQueryable): AsyncOf<AuditRepository> {
  return {
    async append(e) {
      const [r] = await sql<Array<{ id: number }>>`INSERT INTO audit_log (ts, actor_kind, actor, ip, action, site, target, before, after)
        VALUES (${e.ts}, ${e.actorKind}, ${e.actor}, ${e.ip}, ${e.action}, ${e.site}, ${e.target}, ${jsonOrNull(e.before)}, ${jsonOrNull(e.after)}) RETURNING id`;
      return r!.id;
    },
    async list(q) {
      const site = q.site ?? null;
      const action = q.action ?? null;
      // A site's entries include events that named it among their sites (an event is no one site's).
      const rows = await sql<Raw[]>`SELECT * FROM audit_log
        WHERE (${site}::text IS NULL OR site = ${site}::text
            OR (site IS NULL AND starts_with(action, 'event.') AND (after::jsonb -> 'sites') @> jsonb_build_array(${site}::text)))
          AND (${q.actor ?? null}::text IS NULL OR actor = ${q.actor ?? null}::text)
          AND (${action}::text IS NULL OR action = ${action}::text OR (right(${action}::text, 1) = '.' AND starts_with(action, ${action}::text)))
          AND ts >= ${q.from ?? 0}::bigint AND ts <= ${q.to ?? Number.MAX_SAFE_INTEGER}::bigint AND id < ${q.beforeId ?? Number.MAX_SAFE_INTEGER}::bigint
        ORDER BY id DESC LIMIT ${q.limit ?? 500}`;
      return rows.map(toEntry);
    },
  };
}
