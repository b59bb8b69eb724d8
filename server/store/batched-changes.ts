import type { TargetState } from './event-repository.js';

/**
 * Many changes written as one multi-row statement (a reconcile chunk, a batch of
 * reports or broker acknowledgements): such a statement may change each row only
 * once, so changes to the same row are folded first into the one that applying
 * them in order would leave. Both stores use these.
 */

/** A site's control to store under a revision, its payload already JSON. */
export interface ControlToSave {
  siteId: number;
  revision: number;
  json: string;
}

/**
 * Controls, or acknowledgements of controls, of the same site repeated: the one
 * applying them in order would leave (the newest revision, since an older one
 * never replaces it; of equal ones, the last). A multi-row upsert may change a
 * row only once.
 */
export function newestPerSite<T extends { siteId: number; revision: number }>(items: readonly T[]): T[] {
  const bySite = new Map<number, T>();
  for (const c of items) {
    const prev = bySite.get(c.siteId);
    if (!prev || c.revision >= prev.revision) bySite.set(c.siteId, c);
  }
  return [...bySite.values()];
}

/** The broker acknowledged one site's control of this revision at `at`. */
export interface PublishedMark {
  siteId: number;
  revision: number;
  at: number;
}

/** One target's change: its state, and what else the change names (an absent or null field keeps the stored value). */
export interface TargetChange {
  eventId: string;
  siteId: number;
  state: TargetState;
  revision?: number;
  level?: 'sleep' | 'power_target';
  achievedKw?: number | null;
  detail?: string;
}

/**
 * Changes of one target merged into one, in order, as applying them one after the
 * other would leave the row (the last state; each field from the last change that
 * names it): a multi-row statement updates each row once, so a target the list
 * names twice (two reports of one agent in a batch) is folded first.
 */
export function foldTargetChanges(changes: readonly TargetChange[]): TargetChange[] {
  const byTarget = new Map<string, TargetChange>();
  for (const c of changes) {
    const key = `${c.siteId}\u0000${c.eventId}`;
    const prev = byTarget.get(key);
    if (!prev) {
      byTarget.set(key, { ...c });
      continue;
    }
    prev.state = c.state;
    if (c.revision !== undefined) prev.revision = c.revision;
    if (c.level !== undefined) prev.level = c.level;
    if (c.achievedKw !== undefined && c.achievedKw !== null) prev.achievedKw = c.achievedKw;
    if (c.detail !== undefined) prev.detail = c.detail;
  }
  return [...byTarget.values()];
}
