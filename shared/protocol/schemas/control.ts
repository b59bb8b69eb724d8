import { z } from 'zod';
import { AgentIdentity, CurtailLevelSchema, CurtailModeSchema, CurtailStrategySchema, PrioritySchema, TimestampSchema, VersionSchema } from './common.js';

/** One step of a control's schedule (docs/protocol.md#schedule). */
export const ScheduleStepSchema = z
  .object({
    from: TimestampSchema,
    until: TimestampSchema,
    mode: z.enum(['max_kw', 'shed_kw', 'sleep_count', 'full']),
    /** As the control's value: kW for max_kw and shed_kw, machines for sleep_count, null for full. */
    value: z.number().finite().nonnegative().nullable(),
    priority: PrioritySchema,
  })
  .refine((s) => s.until > s.from, { message: 'until must be after from', path: ['until'] })
  .refine((s) => (s.mode === 'full' ? true : s.value !== null), { message: 'max_kw, shed_kw and sleep_count need a value', path: ['value'] });
export type ScheduleStep = z.infer<typeof ScheduleStepSchema>;

/** Steps in time order without overlap, the first asking what the top-level fields ask. */
function scheduleProblem(c: { validFrom: number; mode: string; value: number | null; schedule?: ScheduleStep[] | undefined }): string | null {
  const steps = c.schedule;
  if (!steps || steps.length === 0) return null;
  const first = steps[0]!;
  if (first.from !== c.validFrom || first.mode !== c.mode || first.value !== c.value) return 'the first step must ask what the control asks (from = validFrom, same mode and value)';
  for (let i = 1; i < steps.length; i++) if (steps[i]!.from < steps[i - 1]!.until) return `step ${i} starts before step ${i - 1} ends`;
  return null;
}

/**
 * `…/{site}/{agent}/control`, retained: the desired curtailment state of the
 * site (a device shadow, not a command queue). Signed by the collector; the
 * signature covers every field but `sig`, including site and agent, so a
 * control cannot be replayed onto another site's topic.
 */
export const ControlSchema = z
  .object({
    v: VersionSchema,
    ...AgentIdentity,
    /** Grows with every change; an agent never goes back to a lower revision. */
    revision: z.number().int().positive(),
    issuedAt: TimestampSchema,
    validFrom: TimestampSchema,
    /** After this the control has expired, which means restore. */
    validUntil: TimestampSchema,
    mode: CurtailModeSchema,
    /** kW for max_kw and shed_kw, machines for sleep_count, null for full and none. */
    value: z.number().finite().nonnegative().nullable(),
    level: CurtailLevelSchema.default('sleep'),
    strategy: CurtailStrategySchema.default('least_efficient_first'),
    /** Spread the action over this many seconds (batches with pauses). */
    rampSeconds: z.number().finite().nonnegative().max(86_400),
    priority: PrioritySchema,
    reason: z.string().max(500),
    eventIds: z.array(z.string().max(64)).max(100),
    /**
     * What holds from now on, step by step (the strictest of every overlapping
     * event in each interval). Optional: without it the control is one step. An
     * agent that does not know this field still holds the first step.
     */
    schedule: z.array(ScheduleStepSchema).max(48).optional(),
    /** Which signing key (for rotation): first 16 hex digits of SHA-256 of the public key. */
    keyId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
    /** Ed25519 signature, base64, over the canonical form of every other field. */
    sig: z.string().max(200).optional(),
  })
  .refine((c) => c.validUntil > c.validFrom, { message: 'validUntil must be after validFrom', path: ['validUntil'] })
  .refine((c) => (c.mode === 'max_kw' || c.mode === 'shed_kw' || c.mode === 'sleep_count' ? c.value !== null : true), {
    message: 'max_kw, shed_kw and sleep_count need a value',
    path: ['value'],
  })
  .refine((c) => c.mode !== 'none' || !c.schedule || c.schedule.length === 0, { message: 'a none control has no schedule', path: ['schedule'] })
  .superRefine((c, ctx) => {
    const problem = scheduleProblem(c);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['schedule'] });
  });

/** When a control stops asking anything: the end of its last step, or validUntil without a schedule. */
export function controlEnd(c: Pick<Control, 'validUntil' | 'schedule'>): number {
  const last = c.schedule?.[c.schedule.length - 1];
  return Math.max(c.validUntil, last?.until ?? 0);
}

export type Control = z.infer<typeof ControlSchema>;
export type UnsignedControl = Omit<Control, 'sig' | 'keyId'>;
