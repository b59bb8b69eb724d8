import { z } from 'zod';
import { AgentIdentity, CurtailLevelSchema, CurtailModeSchema, CurtailStrategySchema, PrioritySchema, TimestampSchema, VersionSchema } from './common.js';

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
    /** Which signing key (for rotation): first 16 hex digits of SHA-256 of the public key. */
    keyId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
    /** Ed25519 signature, base64, over the canonical form of every other field. */
    sig: z.string().max(200).optional(),
  })
  .refine((c) => c.validUntil > c.validFrom, { message: 'validUntil must be after validFrom', path: ['validUntil'] })
  .refine((c) => (c.mode === 'max_kw' || c.mode === 'shed_kw' || c.mode === 'sleep_count' ? c.value !== null : true), {
    message: 'max_kw, shed_kw and sleep_count need a value',
    path: ['value'],
  });

export type Control = z.infer<typeof ControlSchema>;
export type UnsignedControl = Omit<Control, 'sig' | 'keyId'>;
