import type { MinerDetail, Sample } from '../../shared/protocol/index.js';
import type { Db } from './database.js';

export interface MinerRow {
  miner: string; agent: string; model: string; firmware: string; state: string; w: number | null; powerSource: string | null;
  ths: number; jth: number | null; tempC: number | null; asleepByAgent: boolean | null; ts: number;
}

export type TelemetryRepository = ReturnType<typeof createTelemetryRepository>;

/** Raw telemetry: the idempotency log, samples, per-miner latest state, sessions and gaps. */
export function createTelemetryRepository(db: Db) {
  const logInsert = db.prepare<[number, number, number, number]>('INSERT OR IGNORE INTO telemetry_log (agent_id, session, seq, received_at) VALUES (?, ?, ?, ?)');
  const sampleInsert = db.prepare(`INSERT OR IGNORE INTO samples (site_id, ts, agent_id, meter_kw, meter_kwh, miner_kw, estimated_kw, hashing, idle, sleeping, offline, error, total, hashrate_ths, revision, historical)
    VALUES (@siteId, @ts, @agentId, @meterKw, @meterKwh, @minerKw, @estimatedKw, @hashing, @idle, @sleeping, @offline, @error, @total, @hashrateThs, @revision, @historical)`);
  // Older detail (a replay) never overwrites newer detail: the WHERE keeps the latest.
  // Positional parameters on the two hot statements: binding by name costs ~1.5× per row.
  const minerUpsert = db.prepare<[number, string, number, string, string, string, number | null, string | null, number, number | null, number | null, number | null, number]>(`INSERT INTO miners (site_id, miner, agent_id, model, firmware, state, w, power_source, ths, jth, temp_c, asleep_by_agent, ts)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (site_id, miner) DO UPDATE SET agent_id=excluded.agent_id, model=excluded.model, firmware=excluded.firmware, state=excluded.state,
      w=excluded.w, power_source=excluded.power_source, ths=excluded.ths, jth=excluded.jth, temp_c=excluded.temp_c,
      asleep_by_agent=excluded.asleep_by_agent, ts=excluded.ts
    WHERE excluded.ts >= miners.ts`);
  const sessionGet = db.prepare<[number, number], { acked_seq: number }>('SELECT acked_seq FROM agent_sessions WHERE agent_id = ? AND session = ?');
  const sessionSet = db.prepare<[number, number, number]>(`INSERT INTO agent_sessions (agent_id, session, acked_seq) VALUES (?, ?, ?)
    ON CONFLICT (agent_id, session) DO UPDATE SET acked_seq = MAX(acked_seq, excluded.acked_seq)`);
  const gapInsert = db.prepare<[number, number, number, number, number]>('INSERT INTO telemetry_gaps (agent_id, session, from_seq, to_seq, detected_at) VALUES (?, ?, ?, ?, ?)');
  const minersBySite = db.prepare<[number, number, number], { miner: string; agent: string; model: string; firmware: string; state: string; w: number | null; power_source: string | null; ths: number; jth: number | null; temp_c: number | null; asleep_by_agent: number | null; ts: number }>(
    `SELECT m.*, a.agent AS agent FROM miners m JOIN agents a ON a.id = m.agent_id WHERE m.site_id = ?
     ORDER BY (m.jth IS NULL), m.jth DESC, m.miner LIMIT ? OFFSET ?`);
  const minerCount = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM miners WHERE site_id = ?');
  const gapsByAgent = db.prepare<[], { agent_id: number; session: number; from_seq: number; to_seq: number; detected_at: number }>('SELECT * FROM telemetry_gaps ORDER BY id DESC LIMIT 1000');

  return {
    /** True when (agent, session, seq) is new; false for a redelivery, whose content is then skipped. */
    logMessage(agentId: number, session: number, seq: number, now: number): boolean {
      return logInsert.run(agentId, session, seq, now).changes === 1;
    },
    insertSample(siteId: number, agentId: number, s: Sample, historical: boolean): void {
      sampleInsert.run({
        siteId, agentId, ts: s.ts, meterKw: s.meterKw, meterKwh: s.meterKwh, minerKw: s.minerKw, estimatedKw: s.estimatedKw ?? null,
        ...s.counts, hashrateThs: s.hashrateThs, revision: s.revision, historical: historical ? 1 : 0,
      });
    },
    upsertMiner(siteId: number, agentId: number, m: MinerDetail, ts: number): void {
      minerUpsert.run(siteId, m.id, agentId, m.model, m.firmware, m.state, m.w, m.powerSource ?? null, m.ths, m.jth, m.tempC, m.asleepByAgent === undefined ? null : m.asleepByAgent ? 1 : 0, ts);
    },
    ackedSeq(agentId: number, session: number): number | undefined {
      return sessionGet.get(agentId, session)?.acked_seq;
    },
    setAckedSeq(agentId: number, session: number, seq: number): void {
      sessionSet.run(agentId, session, seq);
    },
    recordGap(agentId: number, session: number, fromSeq: number, toSeq: number, now: number): void {
      gapInsert.run(agentId, session, fromSeq, toSeq, now);
    },
    gaps() {
      return gapsByAgent.all().map((g) => ({ agentId: g.agent_id, session: g.session, fromSeq: g.from_seq, toSeq: g.to_seq, detectedAt: g.detected_at }));
    },
    miners(siteId: number, limit: number, offset: number): { total: number; miners: MinerRow[] } {
      const rows = minersBySite.all(siteId, limit, offset).map((m) => ({
        miner: m.miner, agent: m.agent, model: m.model, firmware: m.firmware, state: m.state, w: m.w, powerSource: m.power_source,
        ths: m.ths, jth: m.jth, tempC: m.temp_c, asleepByAgent: m.asleep_by_agent === null ? null : m.asleep_by_agent === 1, ts: m.ts,
      }));
      return { total: minerCount.get(siteId)!.n, miners: rows };
    },
  };
}

/** Seqs already stored above `acked` for one session: restores the ack tracker after a restart. */
const seqStatements = new WeakMap<import('./database.js').Db, import('better-sqlite3').Statement<[number, number, number, number], { seq: number }>>();
export function loggedSeqsAbove(db: import('./database.js').Db, agentId: number, session: number, acked: number, limit = 100_000): number[] {
  let stmt = seqStatements.get(db);
  if (!stmt) {
    stmt = db.prepare<[number, number, number, number], { seq: number }>('SELECT seq FROM telemetry_log WHERE agent_id = ? AND session = ? AND seq > ? ORDER BY seq LIMIT ?');
    seqStatements.set(db, stmt);
  }
  return stmt.all(agentId, session, acked, limit).map((r) => r.seq);
}
