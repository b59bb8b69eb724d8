import type { AlertRepository, AlertRow } from '../alert-repository.js';
import type { AsyncOf } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';

interface Raw { id: number; kind: AlertRow['kind']; site_id: number | null; site: string | null; subject: string | null; agent_id: number | null; agent: string | null; opened_at: number; closed_at: number | null; details: string }

const toRow = (r: Raw): AlertRow => ({
  id: r.id, kind: r.kind, siteId: r.site_id, site: r.site, subject: r.subject, agentId: r.agent_id, agent: r.agent,
  openedAt: r.opened_at, closedAt: r.closed_at, details: JSON.parse(r.details) as Record<string, unknown>,
});

/** AlertRepository on PostgreSQL: same methods and results as the SQLite one, each returning a Promise. */
export function createPgAlertRepository(sql: PgQueryable): AsyncOf<AlertRepository> {
  const select = () => sql`SELECT al.id, al.kind, al.site_id, s.site AS site, al.subject, al.agent_id, a.agent AS agent, al.opened_at, al.closed_at, al.details
    FROM alerts al LEFT JOIN sites s ON s.id = al.site_id LEFT JOIN agents a ON a.id = al.agent_id`;
  const byId = async (id: number) => (await sql<Raw[]>`${select()} WHERE al.id = ${id}`)[0];
  return {
    async open(a) {
      const [r] = await sql<Array<{ id: number }>>`INSERT INTO alerts (kind, site_id, agent_id, subject, opened_at, details)
        VALUES (${a.kind}, ${a.siteId}, ${a.agentId}, ${a.subject ?? null}, ${a.openedAt}, ${JSON.stringify(a.details)}) RETURNING id`;
      return toRow((await byId(r!.id))!);
    },
    async close(id, closedAt) {
      await sql`UPDATE alerts SET closed_at = ${closedAt} WHERE id = ${id} AND closed_at IS NULL`;
      const r = await byId(id);
      return r && toRow(r);
    },
    async listOpen() {
      return (await sql<Raw[]>`${select()} WHERE al.closed_at IS NULL ORDER BY al.opened_at`).map(toRow);
    },
    async list(q) {
      const rows = await sql<Raw[]>`${select()}
        WHERE (NOT ${q.open === true}::boolean OR al.closed_at IS NULL) AND (${q.site ?? null}::text IS NULL OR s.site = ${q.site ?? null}::text)
          AND (${q.kind ?? null}::text IS NULL OR al.kind = ${q.kind ?? null}::text)
        ORDER BY al.opened_at DESC, al.id DESC LIMIT ${q.limit ?? 500}`;
      return rows.map(toRow);
    },
    async gapsSince(ts) {
      const rows = await sql<Array<{ agent_id: number; site_id: number; n: number; missing: number; last: number }>>`
        SELECT g.agent_id, a.site_id, COUNT(*) AS n, SUM(g.to_seq - g.from_seq + 1) AS missing, MAX(g.detected_at) AS last
        FROM telemetry_gaps g JOIN agents a ON a.id = g.agent_id WHERE g.detected_at >= ${ts} GROUP BY g.agent_id, a.site_id`;
      return rows.map((g) => ({ siteId: g.site_id, agentId: g.agent_id, count: g.n, missingSeqs: g.missing, lastDetectedAt: g.last }));
    },
  };
}
