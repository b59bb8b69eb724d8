import type { EventLevel } from './event-spec.js';

/**
 * The `level` one agent is sent (pure). `auto` becomes `power_target` where
 * the agent's birth announces it and the ask is a kW limit that is not an
 * emergency (sleep is faster), else `sleep`; `power_target` goes only to an
 * agent that announced it (an older agent refuses the control otherwise, so it
 * gets `sleep`); the machine-count modes always sleep.
 */
export function levelFor(
  asked: EventLevel,
  control: { mode: string; priority: string },
  announced: readonly string[] | null | undefined,
): 'sleep' | 'power_target' {
  if (asked === 'sleep' || control.mode !== 'max_kw') return 'sleep';
  if (!announced?.includes('power_target')) return 'sleep';
  if (asked === 'auto' && control.priority === 'emergency') return 'sleep';
  return 'power_target';
}

/** The curtail levels a stored birth announces (null when there is no birth or it predates them). */
export function announcedLevels(birth: unknown): string[] | null {
  const levels = (birth as { curtail?: { levels?: unknown } } | null)?.curtail?.levels;
  return Array.isArray(levels) ? levels.filter((l): l is string => typeof l === 'string') : null;
}
