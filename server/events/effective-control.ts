import type { PRIORITIES } from '../../shared/protocol/schemas/common.js';
import type { EventLevel } from './event-spec.js';

type Priority = (typeof PRIORITIES)[number];
const RANK: Record<Priority, number> = { normal: 0, high: 1, emergency: 2 };

/** At most this many steps ride in one control; later ones follow in a later revision (docs/protocol.md#schedule). */
export const MAX_SCHEDULE_STEPS = 48;

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
  level?: EventLevel;
}

/** One interval of the effective schedule: what holds from `from` until `until`. */
export interface EffectiveStep {
  from: number;
  until: number;
  mode: 'max_kw' | 'sleep_count' | 'full';
  value: number | null;
  priority: Priority;
  targetKw: number;
}

export interface EffectiveControl {
  mode: 'max_kw' | 'sleep_count' | 'full' | 'none';
  value: number | null;
  priority: Priority;
  validFrom: number;
  validUntil: number;
  reason: string;
  /** As the event asking the step in force asked it (agents' own levels are applied per agent when signing). */
  level?: EventLevel;
  eventIds: string[];
  /** kW the site should be at or under (null for none). */
  targetKw: number | null;
  /**
   * Every step still to come, the first being the top-level fields: when the first
   * event ends, an agent cut off from the collector still knows what holds next.
   * Empty for none.
   */
  schedule: EffectiveStep[];
}

/** How much power a wish leaves the site: the measure of "most restrictive". */
function leavesKw(w: SiteWish): number {
  return w.mode === 'full' ? 0 : w.targetKw;
}

function strongest(pool: SiteWish[]): SiteWish {
  return [...pool].sort((a, b) => RANK[b.priority] - RANK[a.priority] || leavesKw(a) - leavesKw(b) || a.eventId.localeCompare(b.eventId))[0]!;
}

function sameAsk(a: EffectiveStep, b: EffectiveStep): boolean {
  return a.mode === b.mode && a.value === b.value && a.priority === b.priority;
}

/**
 * The timeline of live wishes cut at every start and end: in each piece the
 * highest priority wins, then the most restrictive; touching pieces that ask the
 * same are joined. Pieces nobody covers are gaps (restore).
 */
function timeline(live: SiteWish[]): Array<EffectiveStep & { pool: SiteWish[] }> {
  const edges = [...new Set(live.flatMap((w) => [w.startTs, w.endTs]))].sort((a, b) => a - b);
  const steps: Array<EffectiveStep & { pool: SiteWish[] }> = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const from = edges[i]!;
    const until = edges[i + 1]!;
    const pool = live.filter((w) => w.startTs <= from && w.endTs >= until);
    if (pool.length === 0) continue;
    const w = strongest(pool);
    const step = { from, until, mode: w.mode, value: w.value, priority: w.priority, targetKw: leavesKw(w), pool };
    const last = steps[steps.length - 1];
    if (last && last.until === from && sameAsk(last, step)) {
      last.until = until;
      last.pool = [...new Set([...last.pool, ...pool])];
    } else steps.push(step);
  }
  return steps;
}

/**
 * Merges overlapping events on one site into the single effective control
 * (pure). The top-level fields ask what the step in force now asks (or, with
 * none in force, the next one, published ahead with its validFrom: the agent
 * holds it until then); `schedule` lists it and every later step, so an agent never drops
 * a limit it accepted when the first event ends. With no live event, `none`
 * (restore).
 */
export function effectiveControl(wishes: SiteWish[], now: number, noneValidityMs = 365 * 86_400_000): EffectiveControl {
  const live = wishes.filter((w) => w.endTs > now);
  const steps = timeline(live).filter((s) => s.until > now);
  const first = steps[0];
  if (!first) return { mode: 'none', value: null, priority: 'normal', validFrom: now, validUntil: now + noneValidityMs, reason: 'no curtailment in force', eventIds: [], targetKw: null, schedule: [] };
  const winner = strongest(first.pool);
  return {
    mode: first.mode,
    value: first.value,
    priority: first.priority,
    validFrom: first.from,
    // Agents that predate `schedule` hold the top-level ask until validUntil: the
    // end of the event asking it, as before schedules (never shorter), while
    // agents that read `schedule` follow its steps.
    validUntil: Math.max(first.until, winner.endTs),
    reason: winner.reason,
    ...(winner.level && winner.level !== 'sleep' ? { level: winner.level } : {}),
    eventIds: first.pool.map((w) => w.eventId).sort().slice(0, 100),
    targetKw: first.targetKw,
    schedule: steps.slice(0, MAX_SCHEDULE_STEPS).map(({ pool: _pool, ...step }) => step),
  };
}

/** Whether two effective controls ask the agent for the same thing (a new revision is needed otherwise). */
export function sameControl(a: EffectiveControl, b: EffectiveControl): boolean {
  if (a.mode === 'none' && b.mode === 'none') return true;
  const stepsOf = (c: EffectiveControl) => (c.schedule ?? []).map((s) => `${s.from}/${s.until}/${s.mode}/${s.value}/${s.priority}`).join(',');
  return a.mode === b.mode && a.value === b.value && a.priority === b.priority && (a.level ?? 'sleep') === (b.level ?? 'sleep') && a.validFrom === b.validFrom && a.validUntil === b.validUntil && a.eventIds.join(',') === b.eventIds.join(',') && stepsOf(a) === stepsOf(b);
}
