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
});
export type Birth = z.infer<typeof BirthSchema>;
