import type { Db } from './database.js';
import { pageOfMiners, type MinerRow } from './miner-detail-page.js';

export type { MinerRow } from './miner-detail-page.js';

/** How far above a known seq the store is searched: a tracker holds at most this many seqs waiting. */
export const SEQ_WINDOW = 100_000;

export type TelemetryRepository = ReturnType<typeof createTelemetryRepository>;

/** Reads of raw telemetry: sessions, gaps and the latest per-miner detail (the writer thread stores them). */
export function createTelemetryRepository(db: Db) {
  const sessionGet = db.prepare<[number, number], { acked_seq: number }>('SELECT acked_seq FROM agent_sessions WHERE agent_id = ? AND session = ?');
  const gapsByAgent = db.prepare<[], { agent_id: number; session: number; from_seq: number; to_seq: number; detected_at: number }>('SELECT * FROM telemetry_gaps ORDER BY id DESC LIMIT 1000');
  const progress = db.prepare<[string], { i: number; seq: number; acked: number }>(`WITH want (i, agent_id, session, acked, above) AS (
      SELECT w.key, w.value ->> 0, w.value ->> 1, COALESCE(s.acked_seq, 0), MAX(w.value ->> 2, COALESCE(s.acked_seq, 0))
      FROM json_each(?) w LEFT JOIN agent_sessions s ON s.agent_id = w.value ->> 0 AND s.session = w.value ->> 1
    )
    SELECT i, acked AS seq, 1 AS acked FROM want WHERE acked > 0
    UNION ALL SELECT w.i, l.seq, 0 FROM want w JOIN telemetry_log l
      ON l.agent_id = w.agent_id AND l.session = w.session AND l.seq > w.above AND l.seq <= w.above + ${SEQ_WINDOW}
    UNION ALL SELECT w.i, c.seq, 0 FROM want w JOIN control_reports c
      ON c.agent_id = w.agent_id AND c.session = w.session AND c.seq > w.above AND c.seq <= w.above + ${SEQ_WINDOW}`);
  const detailBySite = db.prepare<[number], { agent: string; ts: number; body: string }>(
    'SELECT a.agent AS agent, d.ts AS ts, d.body AS body FROM miner_detail d JOIN agents a ON a.id = d.agent_id WHERE d.site_id = ?');

  return {
    ackedSeq(agentId: number, session: number): number | undefined {
      return sessionGet.get(agentId, session)?.acked_seq;
    },
    /**
     * What the store knows of several agent sessions, in one query: the ack any
     * collector persisted and the seqs (telemetry and control reports) committed
     * above both it and `known`. With several collectors sharing ingest, one
     * collector's tracker sees only its share of a session; the rest is here.
     * Returned in the order asked; seqs unordered, duplicates possible.
     */
    progress(wanted: ReadonlyArray<{ agentId: number; session: number; known: number }>): Array<{ acked: number; seqs: number[] }> {
      const out = wanted.map(() => ({ acked: 0, seqs: [] as number[] }));
      if (wanted.length === 0) return out;
      for (const r of progress.all(JSON.stringify(wanted.map((w) => [w.agentId, w.session, w.known])))) {
        const o = out[r.i]!;
        if (r.acked) o.acked = r.seq;
        else o.seqs.push(r.seq);
      }
      return out;
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
export function loggedSeqsAbove(db: import('./database.js').Db, agentId: number, session: number, acked: number, limit = SEQ_WINDOW): number[] {
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
