// The event form's vocabulary and the request body it produces (DESIGN §5:
// scope, kind, value, start, duration, priority, reason).

export const KINDS = [
  { id: 'reduce_by_kw', label: 'Reduce by', unit: 'kW' },
  { id: 'limit_to_kw', label: 'Limit to', unit: 'kW' },
  { id: 'sleep_count', label: 'Sleep machines', unit: 'miners' },
  { id: 'full', label: 'Full stop', unit: null },
];
export const PRIORITIES = ['normal', 'high', 'emergency'];
/** How sites shed kW (docs/protocol.md, events): auto = power targets where a site's agents can, sleep on emergency. */
export const LEVELS = [
  { id: 'auto', label: 'Auto' },
  { id: 'power_target', label: 'Power target' },
  { id: 'sleep', label: 'Sleep' },
];
/** Only the kW kinds can act by power target; counts and full stop always sleep. */
export const takesLevel = (kind) => kind === 'reduce_by_kw' || kind === 'limit_to_kw';

export const valueUnit = (kind) => KINDS.find((k) => k.id === kind)?.unit ?? null;

/** → { value: body } or { error: text naming the field }. */
export function eventBody(input) {
  const unit = valueUnit(input.kind);
  if (unit !== null && !(Number.isFinite(input.value) && input.value > 0)) return { error: `Value: enter a number above 0 (${unit}).` };
  if (!(Number.isFinite(input.minutes) && input.minutes >= 1)) return { error: 'Duration: enter at least 1 minute.' };
  if (input.scope === 'sites' && input.sites.length === 0) return { error: 'Sites: choose at least one site.' };
  if (input.scope === 'region' && !input.region) return { error: 'Region: choose a region.' };
  const scope = input.scope === 'all' ? { all: true } : input.scope === 'region' ? { regions: [input.region] } : { sites: input.sites };
  return {
    value: {
      scope,
      kind: input.kind,
      ...(unit !== null ? { value: input.value } : {}),
      durationS: Math.round(input.minutes * 60),
      priority: input.priority,
      ...(takesLevel(input.kind) && input.level ? { level: input.level } : {}),
      reason: input.reason || 'operator request',
    },
  };
}
