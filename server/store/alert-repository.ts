import type { Db } from './database.js';
import type { AlertKind } from '../alerts/alert-rules.js';

export interface AlertRow {
  id: number;
  kind: AlertKind;
  siteId: number | null;
  site: string | null;
  /** What a site-less alert is about (the webhook target of webhook_failing). */
  subject: string | null;
  agentId: number | null;
  agent: string | null;
  openedAt: number;
  closedAt: number | null;
  details: Record<string, unknown>;
}

interface Raw { id: number; kind: AlertKind; site_id: number | null; site: string | null; subject: string | null; agent_id: number | null; agent: string | null; opened_at: number; closed_at: number | null; details: string }

const SELECT = 'SELECT al.*, s.site AS site, a.agent AS agent FROM alerts al LEFT JOIN sites s ON s.id = al.site_id LEFT JOIN agents a ON a.id = al.agent_id';
const toRow = (r: Raw): AlertRow => ({
  id: r.id, kind: r.kind, siteId: r.site_id, site: r.site, subject: r.subject, agentId: r.agent_id, agent: r.agent, openedAt: r.opened_at, closedAt: r.closed_at,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

export type AlertRepository = ReturnType<typeof createAlertRepository>;

/** All SQL about alerts, plus the read of recent telemetry gaps the gap rule needs. */
export function createAlertRepository(db: Db) {
  const insert = db.prepare<[string, number | null, number | null, string | null, number, string]>('INSERT INTO alerts (kind, site_id, agent_id, subject, opened_at, details) VALUES (?, ?, ?, ?, ?, ?)');
  const close = db.prepare<[number, number]>('UPDATE alerts SET closed_at = ? WHERE id = ? AND closed_at IS NULL');
  const byId = db.prepare<[number], Raw>(`${SELECT} WHERE al.id = ?`);
  const open = db.prepare<[], Raw>(`${SELECT} WHERE al.closed_at IS NULL ORDER BY al.opened_at`);
  const list = db.prepare<{ open: number; site: string | null; kind: string | null; limit: number }, Raw>(
    `${SELECT} WHERE (@open = 0 OR al.closed_at IS NULL) AND (@site IS NULL OR s.site = @site) AND (@kind IS NULL OR al.kind = @kind)
     ORDER BY al.opened_at DESC, al.id DESC LIMIT @limit`);
  const gaps = db.prepare<[number], { agent_id: number; site_id: number; n: number; missing: number; last: number }>(
    `SELECT g.agent_id, a.site_id, COUNT(*) AS n, SUM(g.to_seq - g.from_seq + 1) AS missing, MAX(g.detected_at) AS last
     FROM telemetry_gaps g JOIN agents a ON a.id = g.agent_id WHERE g.detected_at >= ? GROUP BY g.agent_id, a.site_id`);

  return {
    open(a: { kind: AlertKind; siteId: number | null; agentId: number | null; subject?: string | null; openedAt: number; details: Record<string, unknown> }): AlertRow {
      const id = Number(insert.run(a.kind, a.siteId, a.agentId, a.subject ?? null, a.openedAt, JSON.stringify(a.details)).lastInsertRowid);
      return toRow(byId.get(id)!);
    },
    close(id: number, closedAt: number): AlertRow | undefined {
      close.run(closedAt, id);
      const r = byId.get(id);
      return r && toRow(r);
    },
    listOpen(): AlertRow[] {
      return open.all().map(toRow);
    },
    list(q: { open?: boolean; site?: string; kind?: string; limit?: number }): AlertRow[] {
      return list.all({ open: q.open ? 1 : 0, site: q.site ?? null, kind: q.kind ?? null, limit: q.limit ?? 500 }).map(toRow);
    },
    gapsSince(ts: number): Array<{ siteId: number; agentId: number; count: number; missingSeqs: number; lastDetectedAt: number }> {
      return gaps.all(ts).map((g) => ({ siteId: g.site_id, agentId: g.agent_id, count: g.n, missingSeqs: g.missing, lastDetectedAt: g.last }));
    },
  };
}
