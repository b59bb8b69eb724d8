import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Control } from '../../shared/protocol/index.js';
import type { StoreReader } from '../../server/testing/test-store.js';
import { accountSeqs, limitViolations, type AcceptedControl, type LimitViolation, type SeqAccount, type SessionRecord } from './chaos-accounting.js';
import type { ChaosSite } from './chaos-site.js';

export interface ChaosVerdict {
  seqs: SeqAccount;
  /** Samples stored twice (same site, same ts). */
  redelivered: number;
  gaps: number;
  /** Accepted controls whose content the watcher saw, so they are checked against the draw. */
  checked: number;
  /** Accepted revisions the watcher never saw (cannot be checked). */
  unverifiable: number;
  violations: LimitViolation[];
}

/**
 * Accounts for every message each agent made against what the collectors
 * stored, and checks the draw against every control an agent accepted. Reads
 * through the store reader, so the same judge serves the SQLite store and a
 * cluster's PostgreSQL database; the agents' own outboxes are their SQLite files.
 */
export async function judgeRun(db: StoreReader, sites: ChaosSite[], controls: Map<string, Control>): Promise<ChaosVerdict> {
  const sessions: SessionRecord[] = [];
  let gaps = 0;
  let redelivered = 0;
  let unverifiable = 0;
  const accepted = new Map<string, AcceptedControl[]>();
  const one = async <T>(sql: string, ...params: unknown[]) => (await db.all<T>(sql, ...params))[0];
  for (const s of sites) {
    const agentRow = await one<{ id: number }>('SELECT a.id FROM agents a JOIN sites x ON x.id = a.site_id WHERE x.site = ? AND a.agent = ?', s.id, s.agent);
    const agentDb = new Database(join(s.dataDir, 'agent.db'), { readonly: true });
    try {
      const lastSession = Number((agentDb.prepare("SELECT value FROM meta WHERE key = 'session'").get() as { value: string }).value);
      for (let session = 1; session <= lastSession; session++) {
        const stored = new Set<number>();
        if (agentRow) {
          for (const r of await db.all<{ seq: number }>('SELECT seq FROM telemetry_log WHERE agent_id = ? AND session = ?', agentRow.id, session)) stored.add(Number(r.seq));
          for (const r of await db.all<{ seq: number }>('SELECT seq FROM control_reports WHERE agent_id = ? AND session = ? AND seq IS NOT NULL', agentRow.id, session)) stored.add(Number(r.seq));
        }
        const pending = new Set((agentDb.prepare('SELECT seq FROM outbox WHERE session = ?').all(session) as Array<{ seq: number }>).map((r) => r.seq));
        sessions.push({ site: s.id, agent: s.agent, session, stored, pending });
      }
    } finally {
      agentDb.close();
    }
    if (agentRow) gaps += Number((await one<{ n: number }>('SELECT COUNT(*) AS n FROM telemetry_gaps WHERE agent_id = ?', agentRow.id))!.n);
    const reports = await db.all<{ revision: number; ts: number }>("SELECT r.revision, MIN(r.ts) AS ts FROM control_reports r JOIN sites x ON x.id = r.site_id WHERE x.site = ? AND r.status = 'accepted' GROUP BY r.revision", s.id);
    const list: AcceptedControl[] = [];
    for (const r of reports) {
      const control = controls.get(`${s.id}:${Number(r.revision)}`);
      if (control) list.push({ acceptedAt: Number(r.ts), control });
      else unverifiable++;
    }
    accepted.set(s.id, list);
    redelivered += Number((await one<{ n: number }>('SELECT COUNT(*) - COUNT(DISTINCT ts) AS n FROM samples x JOIN sites s ON s.id = x.site_id WHERE s.site = ?', s.id))!.n);
  }
  const violations = sites.flatMap((s) => limitViolations(s.id, s.draw, accepted.get(s.id) ?? [], s.starts, { rampAllowanceMs: 30_000, tolerance: 0.05 }));
  const checked = [...accepted.values()].reduce((a, l) => a + l.length, 0);
  return { seqs: accountSeqs(sessions), redelivered, gaps, checked, unverifiable, violations };
}
