import { z } from 'zod';
import { AgentIdentity, CountSchema, CurtailLevelSchema, CurtailModeSchema, CurtailStrategySchema, KwSchema, SessionSchema, TimestampSchema, VersionSchema } from './common.js';

export const MinerModelCountSchema = z.object({
  make: z.string().max(64),
  model: z.string().max(64),
  firmware: z.string().max(64),
  firmwareVersion: z.string().max(64).optional(),
  count: CountSchema,
  /** Sum of the nominal power of these miners. */
  nominalKw: KwSchema,
});

/**
 * Where the agent says its site stands (optional, v1-compatible: older agents leave it
 * out). The collector uses it only for a site nobody registered, marked as declared, not
 * verified: a grey farm still falls inside a regional shed of the region it names.
 */
export const SiteLocationSchema = z.object({
  region: z.string().min(1).max(100).optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
});
export type SiteLocation = z.infer<typeof SiteLocationSchema>;

/** `…/{site}/{agent}/birth`, retained: what this agent commands and what it can do. */
export const BirthSchema = z.object({
  v: VersionSchema,
  ...AgentIdentity,
  session: SessionSchema,
  ts: TimestampSchema,
  agentVersion: z.string().max(64),
  /** The agent's wall clock when it sent this, so the collector can spot clock skew. */
  agentClock: TimestampSchema,
  miners: z.object({
    total: CountSchema,
    byModel: z.array(MinerModelCountSchema).max(500),
  }),
  nameplateKw: KwSchema,
  meter: z.object({
    present: z.boolean(),
    driver: z.string().max(64).optional(),
    preset: z.string().max(64).optional(),
  }),
  curtail: z.object({
    modes: z.array(CurtailModeSchema),
    strategies: z.array(CurtailStrategySchema),
    levels: z.array(CurtailLevelSchema),
    /** Miners whose firmware can sleep / take a power target. */
    sleepCapable: CountSchema,
    powerTargetCapable: CountSchema,
  }),
  pollIntervalS: z.number().positive().optional(),
  location: SiteLocationSchema.optional(),
});
export type Birth = z.infer<typeof BirthSchema>;
