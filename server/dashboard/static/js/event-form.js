// The event form's vocabulary, the request body it produces (docs/architecture.md#events-and-controls:
// scope, kind, value, start, duration, priority, reason) and events in words.

import * as f from './format.js';

export const KINDS = [
  { id: 'reduce_by_kw', label: 'Reduce by', unit: 'kW' },
  { id: 'limit_to_kw', label: 'Limit to', unit: 'kW' },
  { id: 'sleep_count', label: 'Sleep machines', unit: 'machines' },
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

/** A datetime-local input's value ("2026-12-01T14:30") as ms in the browser's time zone. */
export function localMs(text) {
  const ms = text ? new Date(text).getTime() : NaN;
  return Number.isFinite(ms) ? ms : null;
}

/** → { value: body } or { error: text naming the field }. `now` lets a test fix the clock. */
export function eventBody(input, now = Date.now()) {
  const unit = valueUnit(input.kind);
  if (unit !== null && !(Number.isFinite(input.value) && input.value > 0)) return { error: `Value: enter a number above 0 (${unit}).` };
  if (input.kind === 'sleep_count' && !Number.isInteger(input.value)) return { error: 'Value: a whole number of machines.' };
  if (!(Number.isFinite(input.minutes) && input.minutes >= 1)) return { error: 'Duration: enter at least 1 minute.' };
  if (input.scope === 'sites' && input.sites.length === 0) return { error: 'Sites: choose at least one site.' };
  if (input.scope === 'region' && !input.region) return { error: 'Region: choose a region.' };
  let start;
  if (input.startMode === 'at') {
    start = localMs(input.startAt);
    if (start === null) return { error: 'Start: choose a date and time.' };
    if (start + input.minutes * 60_000 <= now) return { error: 'Start: the event would already be over; choose a later time.' };
  }
  const scope = input.scope === 'all' ? { all: true } : input.scope === 'region' ? { regions: [input.region] } : { sites: input.sites };
  return {
    value: {
      scope,
      kind: input.kind,
      ...(unit !== null ? { value: input.value } : {}),
      ...(start !== undefined ? { start: new Date(start).toISOString() } : {}),
      durationS: Math.round(input.minutes * 60),
      priority: input.priority,
      ...(takesLevel(input.kind) && input.level ? { level: input.level } : {}),
      reason: input.reason || 'operator request',
    },
  };
}

/** "all sites", "region north", "3 sites", "Ekibastuz North". */
export function describeScope(scope, names = new Map()) {
  if (!scope || scope.all) return 'all sites';
  const parts = [];
  if (scope.regions?.length) parts.push(`${scope.regions.length === 1 ? 'region' : 'regions'} ${scope.regions.join(', ')}`);
  if (scope.sites?.length) parts.push(scope.sites.length === 1 ? (names.get(scope.sites[0]) ?? scope.sites[0]) : `${f.int(scope.sites.length)} sites`);
  return parts.join(' and ') || 'no sites';
}

/** An event in words: "Sleep 2,500 machines at all sites", "Reduce by 1.20 MW in region north". */
export function describeEvent(e, names) {
  const where = describeScope(e.scope, names);
  const at = where.startsWith('region') ? `in ${where}` : `at ${where}`;
  switch (e.kind) {
    case 'sleep_count': return `Sleep ${f.int(e.value)} machines ${at}`;
    case 'reduce_by_kw': return `Reduce by ${f.power(e.value)} ${at}`;
    case 'limit_to_kw': return `Limit to ${f.power(e.value)} ${at}`;
    case 'full': return `Full stop ${at}`;
    default: return `${e.kind} ${at}`;
  }
}
