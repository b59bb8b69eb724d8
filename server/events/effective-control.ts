import type { PRIORITIES } from '../../shared/protocol/schemas/common.js';

type Priority = (typeof PRIORITIES)[number];
const RANK: Record<Priority, number> = { normal: 0, high: 1, emergency: 2 };

/** One live event's wish for a site. */
export interface SiteWish {
  eventId: string;
  priority: Priority;
  mode: 'max_kw' | 'sleep_count' | 'full';
  value: number | null;
  targetKw: number;
  startTs: number;
  endTs: number;
  reason: string;
}

export interface EffectiveControl {
  mode: 'max_kw' | 'sleep_count' | 'full' | 'none';
  value: number | null;
  priority: Priority;
  validFrom: number;
  validUntil: number;
  reason: string;
  eventIds: string[];
  /** kW the site should be at or under (null for none). */
  targetKw: number | null;
}

/** How much power a wish leaves the site: the measure of "most restrictive". */
function leavesKw(w: SiteWish): number {
  return w.mode === 'full' ? 0 : w.targetKw;
}

/**
 * Merges overlapping events on one site into the single effective control
 * (pure): among the wishes in force now, the highest priority wins, then the
 * most restrictive. With none in force, the next one to start is published
 * ahead with its validFrom (the agent holds it until then); with none at all,
 * `none` (restore).
 */
export function effectiveControl(wishes: SiteWish[], now: number, noneValidityMs = 365 * 86_400_000): EffectiveControl {
  const live = wishes.filter((w) => w.endTs > now);
  const inForce = live.filter((w) => w.startTs <= now);
  const pool = inForce.length > 0 ? inForce : live.filter((w) => w.startTs === Math.min(...live.map((x) => x.startTs)));
  if (pool.length === 0) return { mode: 'none', value: null, priority: 'normal', validFrom: now, validUntil: now + noneValidityMs, reason: 'no curtailment in force', eventIds: [], targetKw: null };
  const winner = [...pool].sort((a, b) => RANK[b.priority] - RANK[a.priority] || leavesKw(a) - leavesKw(b) || a.eventId.localeCompare(b.eventId))[0]!;
  return {
    mode: winner.mode,
    value: winner.value,
    priority: winner.priority,
    validFrom: winner.startTs,
    validUntil: winner.endTs,
    reason: winner.reason,
    eventIds: pool.map((w) => w.eventId).sort().slice(0, 100),
    targetKw: leavesKw(winner),
  };
}

/** Whether two effective controls ask the agent for the same thing (a new revision is needed otherwise). */
export function sameControl(a: EffectiveControl, b: EffectiveControl): boolean {
  if (a.mode === 'none' && b.mode === 'none') return true;
  return a.mode === b.mode && a.value === b.value && a.priority === b.priority && a.validFrom === b.validFrom && a.validUntil === b.validUntil && a.eventIds.join(',') === b.eventIds.join(',');
}
