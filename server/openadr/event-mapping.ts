import { createHash } from 'node:crypto';
import type { EventRequest, EventScope } from '../events/event-spec.js';
import { durationMs, isInfinite } from './iso-duration.js';
import type { Interval, OadrEvent } from './oadr-objects.js';
import type { OpenAdrConfig, ResourceMapping } from './openadr-config.js';

/** Longest event hashwatt accepts (EventRequestSchema.durationS); "P9999Y" is cut to this and renewed by a VTN that means it. */
const MAX_DURATION_MS = 30 * 86_400_000;
export const REPORT_TYPES = ['USAGE', 'OPERATING_STATE'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

/** One hashwatt event to carry out one interval for one VEN resource. */
export interface MappedInterval {
  intervalId: number;
  resource: string;
  startTs: number;
  endTs: number;
  request: EventRequest;
}

export interface MappingResult {
  intervals: MappedInterval[];
  /** Intervals or payloads the VEN does not act on, with why (logged and shown in docs/openadr.md). */
  ignored: string[];
  /** The resources this event is for (none: the event targets someone else). */
  resources: ResourceMapping[];
  reportTypes: ReportType[];
  /** One report over every resource (resourceName AGGREGATED_REPORT) instead of one per resource. */
  aggregate: boolean;
}

export interface MappingContext {
  config: OpenAdrConfig;
  programName: string;
  /** When the VEN first saw this version of the event: a start of 0001-01-01 means "now" (User Guide). */
  now: number;
  /** Current draw of a scope in kW, for SIMPLE levels given in percent. */
  drawKw(scope: EventScope): number;
}

function scopeOf(r: ResourceMapping): EventScope {
  if (r.all) return { all: true };
  return { ...(r.sites?.length ? { sites: r.sites } : {}), ...(r.regions?.length ? { regions: r.regions } : {}) };
}

/** The configured resources an event is for: all of them when it names no target or names this VEN. */
export function targetedResources(event: Pick<OadrEvent, 'targets'>, config: OpenAdrConfig): ResourceMapping[] {
  const targets = event.targets ?? [];
  if (targets.length === 0 || targets.includes(config.venName)) return config.resources;
  return config.resources.filter((r) => targets.includes(r.name));
}

/** A stable offset in [0, max] per VEN, event and interval: a re-poll must not move a start that randomizeStart already spread. */
function randomOffset(max: number, key: string): number {
  if (max <= 0) return 0;
  const h = createHash('sha256').update(key).digest().readUInt32BE(0);
  return Math.floor((h / 0xffff_ffff) * max / 1000) * 1000;
}

function startOf(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  if (text.startsWith('0001-01-01')) return now; // "now" (openadr3.yaml intervalPeriod)
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

function kwFactor(units: string | null | undefined): number | undefined {
  switch ((units ?? 'KW').toUpperCase()) {
    case 'KW': return 1;
    case 'W': return 0.001;
    case 'MW': return 1000;
    default: return undefined;
  }
}

/**
 * Turns an OpenADR event into hashwatt events, one per interval and resource
 * (a schedule; the collector merges them per site into one control whose
 * `schedule` the agents hold). Pure: the caller creates and links them.
 */
export function mapEvent(event: OadrEvent, ctx: MappingContext): MappingResult {
  const { config } = ctx;
  const resources = targetedResources(event, config);
  const asked = (event.reportDescriptors ?? []).map((d) => d.payloadType).filter((t): t is ReportType => (REPORT_TYPES as readonly string[]).includes(t));
  const reportTypes = asked.length ? [...new Set(asked)] : [...REPORT_TYPES];
  const aggregate = (event.reportDescriptors ?? []).some((d) => d.aggregate === true);
  const out: MappingResult = { intervals: [], ignored: [], resources, reportTypes, aggregate };
  if (resources.length === 0) return out;
  const units = new Map((event.payloadDescriptors ?? []).map((d) => [d.payloadType, d.units]));
  const priority = event.priority !== null && event.priority !== undefined && event.priority <= config.highPriorityAtOrBelow ? 'high' : 'normal';
  const base = event.intervalPeriod ?? {};
  let cursor = startOf(base.start, ctx.now);
  const reason = (i: Interval, what: string) => `OpenADR ${ctx.programName} ${event.eventName ?? event.id} interval ${i.id}: ${what}`.slice(0, 500);

  for (const interval of event.intervals) {
    const period = { ...base, ...(interval.intervalPeriod ?? {}) };
    const start = interval.intervalPeriod?.start !== undefined ? startOf(interval.intervalPeriod.start, ctx.now) : cursor;
    if (start === undefined || period.duration === undefined) {
      out.ignored.push(`interval ${interval.id}: no start or duration`);
      continue;
    }
    let length: number;
    try {
      length = isInfinite(period.duration) ? MAX_DURATION_MS : Math.min(durationMs(period.duration), MAX_DURATION_MS);
    } catch {
      out.ignored.push(`interval ${interval.id}: bad duration '${period.duration}'`);
      continue;
    }
    cursor = start + length; // the next interval without its own start follows this one (User Guide)
    let offset = 0;
    if (period.randomizeStart) {
      try { offset = randomOffset(durationMs(period.randomizeStart), `${config.venName}/${event.id}/${interval.id}`); } catch { out.ignored.push(`interval ${interval.id}: bad randomizeStart`); }
    }
    const startTs = start + offset;
    const endTs = start + length;
    if (length <= 0 || endTs <= startTs) {
      out.ignored.push(`interval ${interval.id}: empty after randomizeStart`);
      continue;
    }
    const durationS = Math.max(1, Math.round((endTs - startTs) / 1000));
    for (const r of resources) {
      const scope = scopeOf(r);
      const request = requestFor(interval, scope, r.name);
      if (request) out.intervals.push({ intervalId: interval.id, resource: r.name, startTs, endTs: startTs + durationS * 1000, request: { ...request, start: startTs, durationS } });
    }
  }
  return out;

  function requestFor(i: Interval, scope: EventScope, resource: string): Omit<EventRequest, 'start' | 'durationS'> | undefined {
    for (const p of i.payloads) {
      const v = p.values[0];
      if (p.type === 'IMPORT_CAPACITY_LIMIT') {
        const f = kwFactor(units.get(p.type));
        if (typeof v !== 'number' || v < 0 || f === undefined) {
          out.ignored.push(`interval ${i.id}: IMPORT_CAPACITY_LIMIT needs one non-negative number in KW, W or MW`);
          continue;
        }
        return { scope, kind: 'limit_to_kw', value: Math.round(v * f * 1000) / 1000, priority, reason: reason(i, `${resource} import limit ${v} ${units.get(p.type) ?? 'KW'}`) };
      }
      if (p.type === 'SIMPLE') {
        if (v === 0) continue; // normal operation
        const level = config.simple.levels[v as 1 | 2 | 3];
        if (!level) {
          out.ignored.push(`interval ${i.id}: SIMPLE level ${String(v)} has no shed configured`);
          continue;
        }
        const what = reason(i, `${resource} SIMPLE level ${String(v)}`);
        const p2 = priority === 'high' ? 'high' : config.simple.priority;
        if ('kw' in level) return { scope, kind: 'reduce_by_kw', value: level.kw, priority: p2, reason: what };
        if (level.percent >= 100) return { scope, kind: 'full', priority: p2, reason: what };
        return { scope, kind: 'reduce_by_kw', value: Math.round(ctx.drawKw(scope) * level.percent * 10) / 1000, priority: p2, reason: what };
      }
      if (p.type === 'PRICE' || p.type === 'EXPORT_PRICE') {
        if (!config.price || typeof v !== 'number') continue;
        if (v <= config.price.above) continue;
        const what = reason(i, `${resource} ${p.type} ${v} above ${config.price.above}`);
        if (config.price.limitKw !== undefined) return { scope, kind: 'limit_to_kw', value: config.price.limitKw, priority, reason: what };
        return { scope, kind: 'full', priority, reason: what };
      }
      out.ignored.push(`interval ${i.id}: payload type ${p.type} is not acted on`);
    }
    return undefined;
  }
}
