import type { Db } from './agent-db.js';

export interface RetargetedMiner {
  minerId: string;
  /** The target it had before the agent changed it; null when the firmware reported none (restore to fullW). */
  originalTargetW: number | null;
  /** Draw and hashrate before the first change: what restoring gives back, and the planner's baseline. */
  fullW: number;
  fullThs: number;
  /** The target the agent last asked for. */
  targetW: number;
  setAt: number;
  revision: number;
}

/**
 * Miners the agent turned down to a power target. A row is written before the
 * command goes out, so a restart in the middle still knows the original and
 * restores it; it is deleted once the miner reads back its original target.
 */
export function createPowerTargetRepository(db: Db) {
  const list = db.prepare<[], { miner_id: string; original_target_w: number | null; full_w: number; full_ths: number; target_w: number; set_at: number; revision: number }>(
    'SELECT * FROM power_targets ORDER BY miner_id',
  );
  // The first row for a miner keeps its original; later changes only move the target.
  const upsert = db.prepare(
    `INSERT INTO power_targets (miner_id, original_target_w, full_w, full_ths, target_w, set_at, revision)
     VALUES (@minerId, @originalTargetW, @fullW, @fullThs, @targetW, @setAt, @revision)
     ON CONFLICT (miner_id) DO UPDATE SET target_w = excluded.target_w, set_at = excluded.set_at, revision = excluded.revision`,
  );
  const remove = db.prepare<[string]>('DELETE FROM power_targets WHERE miner_id = ?');
  return {
    retargeted(): RetargetedMiner[] {
      return list.all().map((r) => ({
        minerId: r.miner_id,
        originalTargetW: r.original_target_w,
        fullW: r.full_w,
        fullThs: r.full_ths,
        targetW: r.target_w,
        setAt: r.set_at,
        revision: r.revision,
      }));
    },
    record: (m: RetargetedMiner) => void upsert.run(m),
    forget: (minerId: string) => void remove.run(minerId),
  };
}
export type PowerTargetRepository = ReturnType<typeof createPowerTargetRepository>;
