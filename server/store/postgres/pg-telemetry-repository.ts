import { pageOfMiners, type DetailPart } from '../miner-detail-page.js';
import type { TelemetryReads } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';

/** Reads of raw telemetry on PostgreSQL (telemetry-repository.ts); the telemetry sink writes them. */
export function createPgTelemetryRepository(sql: PgQueryable): TelemetryReads {
  return {
    async ackedSeq(agentId: number, session: number): Promise<number | undefined> {
      const [r] = await sql<{ acked_seq: number }[]>`SELECT acked_seq FROM agent_sessions WHERE agent_id = ${agentId} AND session = ${session}`;
      return r?.acked_seq;
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
    async loggedSeqsAbove(agentId: number, session: number, acked: number, limit = 100_000): Promise<number[]> {
      const rows = await sql<{ seq: number }[]>`SELECT seq FROM telemetry_log WHERE agent_id = ${agentId} AND session = ${session} AND seq > ${acked}
        UNION SELECT seq FROM control_reports WHERE agent_id = ${agentId} AND session = ${session} AND seq > ${acked}
        ORDER BY seq LIMIT ${limit}`;
      return rows.map((r) => r.seq);
    },
  };
}
