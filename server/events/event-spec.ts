import { z } from 'zod';
import { IdSchema } from '../../shared/protocol/ids.js';
import { PrioritySchema } from '../../shared/protocol/schemas/common.js';

export const EVENT_KINDS = ['reduce_by_kw', 'limit_to_kw', 'sleep_count', 'full'] as const;
/**
 * How sites act: `sleep` whole machines, `power_target` turn miners down
 * (agents sleep where targets cannot reach the cap), `auto` power targets
 * where the site's agents announce them and the event is not an emergency.
 */
export const EVENT_LEVELS = ['sleep', 'power_target', 'auto'] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];

export const EventScopeSchema = z
  .object({
    all: z.boolean().optional(),
    regions: z.array(z.string().min(1).max(100)).max(1000).optional(),
    sites: z.array(IdSchema).max(100_000).optional(),
  })
  .refine((s) => s.all === true || (s.regions?.length ?? 0) > 0 || (s.sites?.length ?? 0) > 0, {
    message: 'scope needs all: true, or at least one region or site',
  });

/** Body of POST /api/v1/events. */
export const EventRequestSchema = z
  .object({
    scope: EventScopeSchema,
    kind: z.enum(EVENT_KINDS),
    /** kW for reduce_by_kw and limit_to_kw, machines for sleep_count; ignored for full. */
    value: z.number().finite().nonnegative().max(1e9).optional(),
    /** Start, ms since the epoch or an ISO 8601 time; defaults to now. */
    start: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).optional(),
    /** Whole seconds: every time the collector signs is integer ms, and agents refuse anything else. */
    durationS: z.number().int('durationS must be a whole number of seconds').positive().max(30 * 86_400),
    priority: PrioritySchema.default('normal'),
    /** reduce_by_kw and limit_to_kw only; sleep_count and full always sleep. */
    level: z.enum(EVENT_LEVELS).default('sleep'),
    // Signed into controls, and RFC 8785 cannot canonicalize a lone UTF-16 surrogate (docs/protocol.md#canonical-form-rfc-8785).
    reason: z.string().max(500).refine((r) => (r as unknown as { isWellFormed(): boolean }).isWellFormed(), 'reason holds a lone UTF-16 surrogate, which a signed control cannot carry').default(''),
  })
  .refine((e) => e.kind === 'full' || e.value !== undefined, { message: 'reduce_by_kw, limit_to_kw and sleep_count need a value', path: ['value'] })
  .refine((e) => e.kind !== 'sleep_count' || (e.value !== undefined && Number.isInteger(e.value)), { message: 'sleep_count takes a whole number of machines', path: ['value'] });
/** A parsed request; `level` may be left out by the collector's own callers (compliance, OpenADR): sleep. */
export type EventRequest = Omit<z.infer<typeof EventRequestSchema>, 'level'> & { level?: EventLevel };
export type EventScope = z.infer<typeof EventScopeSchema>;
export type EventKind = (typeof EVENT_KINDS)[number];
