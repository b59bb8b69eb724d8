import { pageOfMiners, type DetailPart } from '../miner-detail-page.js';
import type { TelemetryReads } from '../store-port.js';
import { SEQ_WINDOW } from '../telemetry-repository.js';
import { pgArray } from './pg-arrays.js';
import type { PgQueryable } from './pg-connect.js';

/** Reads of raw telemetry on PostgreSQL (telemetry-repository.ts); the telemetry sink writes them. */
export function createPgTelemetryRepository(sql: PgQueryable): TelemetryReads {
  return {
    async ackedSeq(agentId: number, session: number): Promise<number | undefined> {
      const [r] = await sql<{ acked_seq: number }[]>`SELECT acked_seq FROM agent_sessions WHERE agent_id = ${agentId} AND session = ${session}`;
      return r?.acked_seq;
    },
    /** See telemetry-repository.ts progress: the stored ack and the seqs committed above it and `known`, per session asked. */
    async progress(wanted: ReadonlyArray<{ agentId: number; session: number; known: number }>): Promise<Array<{ acked: number; seqs: number[] }>> {
      const out = wanted.map(() => ({ acked: 0, seqs: [] as number[] }));
      if (wanted.length === 0) return out;
      const rows = await sql<{ i: number; seq: number; acked: number }[]>`WITH want AS (
          SELECT w.i - 1 AS i, w.agent_id, w.session, COALESCE(s.acked_seq, 0) AS acked, GREATEST(w.known, COALESCE(s.acked_seq, 0)) AS above
          FROM unnest(${pgArray(sql, 'bigint', wanted.map((w) => w.agentId))}::bigint[], ${pgArray(sql, 'bigint', wanted.map((w) => w.session))}::bigint[],
            ${pgArray(sql, 'bigint', wanted.map((w) => w.known))}::bigint[]) WITH ORDINALITY AS w(agent_id, session, known, i)
          LEFT JOIN agent_sessions s ON s.agent_id = w.agent_id AND s.session = w.session)
        SELECT i, acked AS seq, 1 AS acked FROM want WHERE acked > 0
        UNION ALL SELECT w.i, l.seq, 0 FROM want w JOIN telemetry_log l
          ON l.agent_id = w.agent_id AND l.session = w.session AND l.seq > w.above AND l.seq <= w.above + ${SEQ_WINDOW}
        UNION ALL SELECT w.i, c.seq, 0 FROM want w JOIN control_reports c
          ON c.agent_id = w.agent_id AND c.session = w.session AND c.seq > w.above AND c.seq <= w.above + ${SEQ_WINDOW}`;
      for (const r of rows) {
        const o = out[r.i]!;
        if (r.acked) o.acked = r.seq;
        else o.seqs.push(r.seq);
      }
      return out;
    },
    async gaps() {
      const rows = await sql<{ agent_id: number; session: number; from_seq: number; to_seq: number; detected_at: number }[]>`SELECT * FROM telemetry_gaps ORDER BY id DESC LIMIT 1000`;
      return rows.map((g) => ({ agentId: g.agent_id, session: g.session, fromSeq: g.from_seq, toSeq: g.to_seq, detectedAt: g.detected_at }));
    },
    /** The newest stored row of each agent and part (miner_detail_latest points at it), merged as in SQLite. */
    async miners(siteId: number, limit: number, offset: number) {
      const parts = await sql<DetailPart[]>`SELECT a.agent AS agent, d.ts AS ts, d.body AS body
        FROM miner_detail_latest l
        JOIN miner_detail d ON d.site_id = l.site_id AND d.agent_id = l.agent_id AND d.part = l.part AND d.ts = l.ts
        JOIN agents a ON a.id = l.agent_id
        WHERE l.site_id = ${siteId}`;
      return pageOfMiners(parts, limit, offset);
    },
    async loggedSeqsAbove(agentId: number, session: number, acked: number, limit = SEQ_WINDOW): Promise<number[]> {
      const rows = await sql<{ seq: number }[]>`SELECT seq FROM telemetry_log WHERE agent_id = ${agentId} AND session = ${session} AND seq > ${acked}
        UNION SELECT seq FROM control_reports WHERE agent_id = ${agentId} AND session = ${session} AND seq > ${acked}
        ORDER BY seq LIMIT ${limit}`;
      return rows.map((r) => r.seq);
    },
  };
}
