import type { Db } from './database.js';

/**
 * The hot telemetry write path as flat rows: what the ingest writer thread runs
 * inside one transaction per batch. Samples are positional arrays (built by the
 * main thread, copied to the worker as plain data; binding by position is
 * ~1.5× cheaper per row than by name); miner detail is the message text, stored
 * as one row per agent and part (migration 4).
 */

/** Values per sample row: ts, meterKw, meterKwh, minerKw, estimatedKw, hashing, idle, sleeping, offline, error, total, hashrateThs, revision. */
export const SAMPLE_WIDTH = 13;

/** One telemetry message, flattened. */
export interface TelemetryRow {
  siteId: number;
  agentId: number;
  session: number;
  seq: number;
  historical: boolean;
  /** SAMPLE_WIDTH values per sample. */
  samples: Array<number | null>;
  /** Index of the newest sample (the agent's "current" view), -1 when none or historical. */
  latest: number;
  /** Timestamp the miner detail belongs to; null: not stored. */
  detailTs: number | null;
  /** Which part of a split detail round (0 when not split). */
  detailPart: number;
  /** The validated message text whose `miners` array is the detail; null: none. */
  detailBody: string | null;
}

export interface WriteBatch {
  now: number;
  rows: TelemetryRow[];
  /** Acked seqs to persist: agentId, session, seq triples. */
  acks: number[];
  /** Telemetry gaps given up on: agentId, session, fromSeq, toSeq quadruples. */
  gaps: number[];
}

export type TelemetryWriter = ReturnType<typeof createTelemetryWriter>;

export function createTelemetryWriter(db: Db) {
  const logInsert = db.prepare('INSERT OR IGNORE INTO telemetry_log (agent_id, session, seq, received_at) VALUES (?, ?, ?, ?)');
  const sampleInsert = db.prepare(`INSERT OR IGNORE INTO samples (site_id, agent_id, historical, ts, meter_kw, meter_kwh, miner_kw, estimated_kw, hashing, idle, sleeping, offline, error, total, hashrate_ths, revision)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // Older detail (a replay) never overwrites newer detail of the same part: the WHERE keeps the latest.
  const detailUpsert = db.prepare(`INSERT INTO miner_detail (site_id, agent_id, part, ts, body) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (site_id, agent_id, part) DO UPDATE SET ts = excluded.ts, body = excluded.body WHERE excluded.ts >= miner_detail.ts`);
  const latest = db.prepare(`UPDATE agents SET sample_ts=?, meter_kw=?, meter_kwh=?, miner_kw=?, hashrate_ths=?,
    hashing=?, idle=?, sleeping=?, offline=?, error=?, total=?, revision=?, last_seen=?
    WHERE id=? AND (sample_ts IS NULL OR sample_ts < ?)`);
  const seen = db.prepare('UPDATE agents SET last_seen=? WHERE id=?');
  const sessionSet = db.prepare(`INSERT INTO agent_sessions (agent_id, session, acked_seq) VALUES (?, ?, ?)
    ON CONFLICT (agent_id, session) DO UPDATE SET acked_seq = MAX(acked_seq, excluded.acked_seq)`);

  // Collectors of a share group can give up the same gap at the same moment. Each
  // gap's ack is persisted in the same transaction (after the gap: see write), so
  // a session whose stored ack already reaches the gap's start had it recorded by
  // another collector (SQLite serializes the two transactions): recorded once.
  const gapInsert = db.prepare(`INSERT INTO telemetry_gaps (agent_id, session, from_seq, to_seq, detected_at)
    SELECT @agentId, @session, @fromSeq, @toSeq, @now
    WHERE NOT EXISTS (SELECT 1 FROM agent_sessions WHERE agent_id = @agentId AND session = @session AND acked_seq >= @fromSeq)`);

  const sampleArgs: Array<number | null> = new Array(3 + SAMPLE_WIDTH);

  function writeRow(r: TelemetryRow, now: number): boolean {
    if (logInsert.run(r.agentId, r.session, r.seq, now).changes !== 1) return false;
    sampleArgs[0] = r.siteId;
    sampleArgs[1] = r.agentId;
    sampleArgs[2] = r.historical ? 1 : 0;
    for (let o = 0; o < r.samples.length; o += SAMPLE_WIDTH) {
      for (let k = 0; k < SAMPLE_WIDTH; k++) sampleArgs[3 + k] = r.samples[o + k]!;
      sampleInsert.run(sampleArgs);
    }
    if (r.detailTs !== null && r.detailBody !== null) detailUpsert.run(r.siteId, r.agentId, r.detailPart, r.detailTs, r.detailBody);
    if (r.latest >= 0) {
      const o = r.latest * SAMPLE_WIDTH;
      const s = r.samples;
      // agents: ts, meterKw, meterKwh, minerKw, hashrateThs, the six counts, revision (no estimatedKw column).
      latest.run(s[o], s[o + 1], s[o + 2], s[o + 3], s[o + 11], s[o + 5], s[o + 6], s[o + 7], s[o + 8], s[o + 9], s[o + 10], s[o + 12], now, r.agentId, s[o]);
    }
    return true;
  }

  return {
    /**
     * Writes one batch in one transaction. Returns, per row, 1 when it was new
     * and 0 for a redelivery (already in telemetry_log: its content is skipped);
     * per gap, 1 when recorded and 0 when another collector already had.
     */
    write: db.transaction((batch: WriteBatch): { fresh: Uint8Array; gapsRecorded: Uint8Array } => {
      const fresh = new Uint8Array(batch.rows.length);
      const gapsRecorded = new Uint8Array(batch.gaps.length / 4);
      const agents = new Set<number>();
      for (let i = 0; i < batch.rows.length; i++) {
        const r = batch.rows[i]!;
        agents.add(r.agentId);
        if (writeRow(r, batch.now)) fresh[i] = 1;
      }
      for (const id of agents) seen.run(batch.now, id);
      // Gaps before acks: a gap's own ack must not hide it from the check above.
      for (let i = 0; i + 3 < batch.gaps.length; i += 4) {
        const gap = { agentId: batch.gaps[i]!, session: batch.gaps[i + 1]!, fromSeq: batch.gaps[i + 2]!, toSeq: batch.gaps[i + 3]!, now: batch.now };
        gapsRecorded[i / 4] = gapInsert.run(gap).changes;
      }
      for (let i = 0; i + 2 < batch.acks.length; i += 3) sessionSet.run(batch.acks[i]!, batch.acks[i + 1]!, batch.acks[i + 2]!);
      return { fresh, gapsRecorded };
    }),
  };
}
