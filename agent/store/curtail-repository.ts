import type { Db } from './agent-db.js';

export type CurtailPhase = 'pending' | 'active' | 'releasing' | 'released';

export interface StoredControl {
  raw: string;
  revision: number;
  acceptedAt: number;
  baselineKw: number | null;
  phase: CurtailPhase;
}

export interface CurtailedMiner {
  minerId: string;
  previousState: string;
  previousPowerTargetW: number | null;
  /** What sleeping it saved, by its last reading before sleep; used to wake within a cap. */
  expectedKw: number;
  sleptAt: number;
  revision: number;
}

/**
 * What the reconciler must not forget across a restart (docs/protocol.md#control): the
 * control it accepted and every miner it put to sleep with its previous mode,
 * so it resumes where it was and never wakes a miner it did not sleep.
 */
export function createCurtailRepository(db: Db) {
  const getControl = db.prepare<[], { raw: string; revision: number; accepted_at: number; baseline_kw: number | null; phase: CurtailPhase }>(
    'SELECT raw, revision, accepted_at, baseline_kw, phase FROM control_state WHERE id = 1',
  );
  const putControl = db.prepare(
    `INSERT INTO control_state (id, raw, revision, accepted_at, baseline_kw, phase) VALUES (1, @raw, @revision, @acceptedAt, @baselineKw, @phase)
     ON CONFLICT (id) DO UPDATE SET raw = excluded.raw, revision = excluded.revision, accepted_at = excluded.accepted_at,
       baseline_kw = excluded.baseline_kw, phase = excluded.phase`,
  );
  const setPhase = db.prepare<[string]>('UPDATE control_state SET phase = ? WHERE id = 1');
  const listMiners = db.prepare<[], { miner_id: string; previous_state: string; previous_power_target_w: number | null; expected_kw: number; slept_at: number; revision: number }>(
    'SELECT * FROM curtailed_miners ORDER BY slept_at, miner_id',
  );
  const addMiner = db.prepare(
    `INSERT INTO curtailed_miners (miner_id, previous_state, previous_power_target_w, expected_kw, slept_at, revision)
     VALUES (@minerId, @previousState, @previousPowerTargetW, @expectedKw, @sleptAt, @revision) ON CONFLICT (miner_id) DO NOTHING`,
  );
  const removeMiner = db.prepare<[string]>('DELETE FROM curtailed_miners WHERE miner_id = ?');

  return {
    control(): StoredControl | undefined {
      const row = getControl.get();
      return row && { raw: row.raw, revision: row.revision, acceptedAt: row.accepted_at, baselineKw: row.baseline_kw, phase: row.phase };
    },
    saveControl: (c: StoredControl) => void putControl.run(c),
    setPhase: (phase: CurtailPhase) => void setPhase.run(phase),
    curtailed(): CurtailedMiner[] {
      return listMiners.all().map((r) => ({
        minerId: r.miner_id,
        previousState: r.previous_state,
        previousPowerTargetW: r.previous_power_target_w,
        expectedKw: r.expected_kw,
        sleptAt: r.slept_at,
        revision: r.revision,
      }));
    },
    addCurtailed: (m: CurtailedMiner) => void addMiner.run(m),
    removeCurtailed: (minerId: string) => void removeMiner.run(minerId),
  };
}
export type CurtailRepository = ReturnType<typeof createCurtailRepository>;
