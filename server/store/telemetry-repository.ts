import type { Db } from './database.js';
import { pageOfMiners, type MinerRow } from './miner-detail-page.js';

export type { MinerRow } from './miner-detail-page.js';

export type TelemetryRepository = ReturnType<typeof createTelemetryRepository>;

/** Reads of raw telemetry: sessions, gaps and the latest per-miner detail (the writer thread stores them). */
export function createTelemetryRepository(db: Db) {
  const sessionGet = db.prepare<[number, number], { acked_seq: number }>('SELECT acked_seq FROM agent_sessions WHERE agent_id = ? AND session = ?');
  const gapsByAgent = db.prepare<[], { agent_id: number; session: number; from_seq: number; to_seq: number; detected_at: number }>('SELECT * FROM telemetry_gaps ORDER BY id DESC LIMIT 1000');
  const detailBySite = db.prepare<[number], { agent: string; ts: number; body: string }>(
    'SELECT a.agent AS agent, d.ts AS ts, d.body AS body FROM miner_detail d JOIN agents a ON a.id = d.agent_id WHERE d.site_id = ?');

  return {
    ackedSeq(agentId: number, session: number): number | undefined {
      return sessionGet.get(agentId, session)?.acked_seq;
    },
    gaps() {
      return gapsByAgent.all().map((g) => ({ agentId: g.agent_id, session: g.session, fromSeq: g.from_seq, toSeq: g.to_seq, detectedAt: g.detected_at }));
    },
    /** A site's miners, each at its newest reported detail, least efficient first (no J/TH last), then by id. */
    miners(siteId: number, limit: number, offset: number): { total: number; miners: MinerRow[] } {
      return pageOfMiners(detailBySite.all(siteId), limit, offset);
    },
  };
}

/** Seqs already stored above `acked` for one session (telemetry and control reports): restores the ack tracker after a restart. */
const seqStatements = new WeakMap<import('./database.js').Db, import('better-sqlite3').Statement<[{ agentId: number; session: number; acked: number; limit: number }], { seq: number }>>();
export function loggedSeqsAbove(db: import('./database.js').Db, agentId: number, session: number, acked: number, limit = 100_000): number[] {
  let stmt = seqStatements.get(db);
  if (!stmt) {
    stmt = db.prepare<[{ agentId: number; session: number; acked: number; limit: number }], { seq: number }>(`SELECT seq FROM (
        SELECT seq FROM telemetry_log WHERE agent_id = @agentId AND session = @session AND seq > @acked
        UNION SELECT seq FROM control_reports WHERE agent_id = @agentId AND session = @session AND seq > @acked
      ) ORDER BY seq LIMIT @limit`);
    seqStatements.set(db, stmt);
  }
  return stmt.all({ agentId, session, acked, limit }).map((r) => r.seq);
}
