/**
 * What a control asks at a given moment (pure). A control with a `schedule`
 * asks each step in its interval and nothing in the gaps between steps; one
 * without asks its top-level fields from validFrom to validUntil
 * (docs/protocol.md#schedule).
 */
import { controlEnd, type Control } from '../../shared/protocol/index.js';

export interface Ask {
  mode: Exclude<Control['mode'], 'none'>;
  value: number | null;
  priority: Control['priority'];
  /** When this ask started and when it stops (the next edge to wake up for). */
  from: number;
  until: number;
}

export type StepAt = { kind: 'ask'; ask: Ask } | { kind: 'none'; why: 'none' | 'pending' | 'gap' | 'expired' };

export function stepAt(c: Control | undefined, t: number): StepAt {
  if (!c || c.mode === 'none') return { kind: 'none', why: 'none' };
  if (t >= controlEnd(c)) return { kind: 'none', why: 'expired' };
  if (t < c.validFrom) return { kind: 'none', why: 'pending' };
  const steps = c.schedule;
  if (!steps || steps.length === 0) return { kind: 'ask', ask: { mode: c.mode, value: c.value, priority: c.priority, from: c.validFrom, until: c.validUntil } };
  // The schema refuses overlapping steps, so at most one holds at t.
  const step = steps.find((s) => s.from <= t && t < s.until);
  if (!step) return { kind: 'none', why: 'gap' };
  return { kind: 'ask', ask: { mode: step.mode, value: step.value, priority: step.priority, from: step.from, until: step.until } };
}

/** Every moment the ask may change: the reconciler wakes at each. */
export function edgesOf(c: Control): number[] {
  const edges = [c.validFrom, c.validUntil, ...(c.schedule ?? []).flatMap((s) => [s.from, s.until])];
  return [...new Set(edges)].sort((a, b) => a - b);
}

/** Whether the control asks anything at t (a step or the top level in force). */
export function inForce(c: Control | undefined, t: number): boolean {
  return stepAt(c, t).kind === 'ask';
}
