import type { TargetRow, TargetState } from '../store/event-repository.js';

/** What a site target's confirmation needs from the live site view. */
export interface MeasuredSite {
  kw: number;
  counts: { hashing: number; total: number };
  /** Control revision the site's telemetry says it runs under (null: not reported). */
  revision: number | null;
}

export interface TargetVerdict {
  state: TargetState;
  /** Measured kW to store as the target's achieved value. */
  achievedKw: number;
  /** The state moved (confirmed, or regressed to holding): worth telling watchers at once. */
  changed: boolean;
}

const JUDGED: ReadonlySet<TargetState> = new Set(['sent', 'accepted', 'holding', 'confirmed']);

/** Within the target: measured ≤ target × (1 + tolerance) + 1 kW slack; a full curtailment also holds once nothing hashes. */
export function withinTarget(t: Pick<TargetRow, 'mode' | 'targetKw'>, m: MeasuredSite, tolerance: number): boolean {
  return m.kw <= (t.targetKw ?? 0) * (1 + tolerance) + 1 || (t.mode === 'full' && m.counts.hashing === 0 && m.counts.total > 0);
}

/**
 * DESIGN §5 target states from measured telemetry (pure): a target is
 * `confirmed` once the site runs under the target's revision and measures
 * within the target; a confirmed target whose draw rises above the target
 * beyond tolerance again goes back to `holding` (the agent still holds the
 * control, the site no longer complies) and may confirm again later. Returns
 * null when nothing is to be written.
 */
export function judgeTarget(t: Pick<TargetRow, 'state' | 'mode' | 'targetKw' | 'revision'>, m: MeasuredSite, controlRevision: number, tolerance: number): TargetVerdict | null {
  if (!JUDGED.has(t.state)) return null;
  const ok = withinTarget(t, m, tolerance);
  if (t.state === 'confirmed') return ok ? { state: 'confirmed', achievedKw: m.kw, changed: false } : { state: 'holding', achievedKw: m.kw, changed: true };
  // A report (accepted/holding) or telemetry tagged with the revision shows the agent runs it.
  const underRevision = t.state === 'accepted' || t.state === 'holding' || (m.revision ?? 0) >= (t.revision ?? Infinity);
  if (ok && underRevision && t.revision === controlRevision) return { state: 'confirmed', achievedKw: m.kw, changed: true };
  return null;
}
