import type { TargetRow, TargetState } from '../store/event-repository.js';

/** What a site target's confirmation needs from the live site view. */
export interface MeasuredSite {
  kw: number;
  counts: { hashing: number; sleeping?: number; total: number };
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

/**
 * What a sleeping miner may still draw (fans, control board): the agent confirms a
 * sleep at a reported draw ≤ 300 W (docs/protocol.md, control reports).
 */
export const SLEEP_DRAW_KW = 0.3;

/**
 * The least a miner put to sleep saves: the smallest supported miners (Antminer S9,
 * ~1.3 kW hashing) save over 1 kW; half a kW leaves room for meter noise.
 */
export const SLEEP_SAVING_MIN_KW = 0.5;

/** Machines of a sleep_count target asleep now, up to its count: its progress (null for other modes). */
export function machinesAsleep(t: Pick<TargetRow, 'mode' | 'value'>, m: MeasuredSite): number | null {
  if (t.mode !== 'sleep_count') return null;
  return Math.max(0, Math.min(t.value ?? 0, m.counts.sleeping ?? 0));
}

/**
 * Within the target: measured ≤ target × (1 + tolerance) + 1 kW slack; a full
 * curtailment also holds once nothing hashes. A machine-count target holds when
 * at least that many machines sleep and no more than the rest hash, with a draw
 * consistent with it: at most the planned draw plus what the sleeping machines
 * may still draw, or at least SLEEP_SAVING_MIN_KW per machine below the baseline
 * (the plan's per-machine estimate is off when other miners were still starting
 * or stopping as it was made). The draw check is what keeps machines that were
 * asleep before from counting: had they, the draw would not have fallen.
 * (Not counted from the machines hashing at planning time: miners still waking
 * from an earlier event would start hashing and the count would never be met.)
 * The kW target alone never confirms: sleeping miners and site overhead keep a
 * fully slept site above 0 kW.
 */
export function withinTarget(t: Pick<TargetRow, 'mode' | 'targetKw' | 'value' | 'baselineKw'>, m: MeasuredSite, tolerance: number): boolean {
  if (t.mode === 'sleep_count') {
    const n = t.value ?? 0;
    const asleep = (m.counts.sleeping ?? 0) >= n && m.counts.hashing <= m.counts.total - n;
    const planned = (t.targetKw ?? 0) * (1 + tolerance) + 1 + n * SLEEP_DRAW_KW;
    const fell = t.baselineKw - n * SLEEP_SAVING_MIN_KW;
    return asleep && m.kw <= Math.max(planned, fell);
  }
  return m.kw <= (t.targetKw ?? 0) * (1 + tolerance) + 1 || (t.mode === 'full' && m.counts.hashing === 0 && m.counts.total > 0);
}

/**
 * Target states (docs/protocol.md#how-the-collector-judges-confirmation) from measured telemetry (pure): a target is
 * `confirmed` once the site runs under the target's revision and measures
 * within the target; a confirmed target whose draw rises above the target
 * beyond tolerance again goes back to `holding` (the agent still holds the
 * control, the site no longer complies) and may confirm again later. Returns
 * null when nothing is to be written.
 */
export function judgeTarget(t: Pick<TargetRow, 'state' | 'mode' | 'targetKw' | 'revision' | 'value' | 'baselineKw'>, m: MeasuredSite, controlRevision: number, tolerance: number): TargetVerdict | null {
  if (!JUDGED.has(t.state)) return null;
  const ok = withinTarget(t, m, tolerance);
  if (t.state === 'confirmed') return ok ? { state: 'confirmed', achievedKw: m.kw, changed: false } : { state: 'holding', achievedKw: m.kw, changed: true };
  // A report (accepted/holding) or telemetry tagged with the revision shows the agent runs it.
  const underRevision = t.state === 'accepted' || t.state === 'holding' || (m.revision ?? 0) >= (t.revision ?? Infinity);
  if (ok && underRevision && t.revision === controlRevision) return { state: 'confirmed', achievedKw: m.kw, changed: true };
  return null;
}
