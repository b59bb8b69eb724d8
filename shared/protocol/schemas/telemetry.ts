import { z } from 'zod';
import { AgentIdentity, CountSchema, KwSchema, MinerStateSchema, SessionSchema, TimestampSchema, VersionSchema } from './common.js';

export const StateCountsSchema = z
  .object({
    hashing: CountSchema,
    idle: CountSchema,
    sleeping: CountSchema,
    offline: CountSchema,
    error: CountSchema,
    total: CountSchema,
  })
  .refine((c) => c.hashing + c.idle + c.sleeping + c.offline + c.error === c.total, {
    message: 'total must equal hashing + idle + sleeping + offline + error',
    path: ['total'],
  });
export type StateCounts = z.infer<typeof StateCountsSchema>;

/** One site sample per poll interval. */
export const SampleSchema = z.object({
  ts: TimestampSchema,
  /** Metered site import; null when no meter is configured or it did not answer. */
  meterKw: KwSchema.nullable(),
  /** The meter's cumulative import counter. */
  meterKwh: KwSchema.nullable(),
  /** Sum of the miners' own power figures (reported or estimated). */
  minerKw: KwSchema,
  /** Part of minerKw that is estimated from a model table (stock firmware reports none). */
  estimatedKw: KwSchema.optional(),
  counts: StateCountsSchema,
  hashrateThs: z.number().finite().nonnegative(),
  /** Revision of the control in force, null when none. */
  revision: z.number().int().positive().nullable(),
  /** Miners asleep because the agent put them to sleep. */
  curtailedMiners: CountSchema.optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

/** Per-miner detail: every Nth interval and on a change of state. */
export const MinerDetailSchema = z.object({
  id: z.string().min(1).max(128),
  model: z.string().max(64),
  firmware: z.string().max(64),
  state: MinerStateSchema,
  /** Watts, reported or estimated (see powerSource). */
  w: z.number().finite().nonnegative().nullable(),
  powerSource: z.enum(['reported', 'estimated', 'none']).optional(),
  ths: z.number().finite().nonnegative(),
  jth: z.number().finite().nonnegative().nullable(),
  tempC: z.number().finite().min(-50).max(200).nullable(),
  asleepByAgent: z.boolean().optional(),
});
export type MinerDetail = z.infer<typeof MinerDetailSchema>;

/** `…/{site}/{agent}/telemetry`, QoS 1, not retained. */
export const TelemetrySchema = z
  .object({
    v: VersionSchema,
    ...AgentIdentity,
    session: SessionSchema,
    /** Grows by one per telemetry message within a session, starting at 1. */
    seq: z.number().int().positive(),
    /** Replayed from the outbox after an outage: never overwrites "current" views. */
    historical: z.boolean().optional(),
    samples: z.array(SampleSchema).max(1000),
    miners: z.array(MinerDetailSchema).max(2000).optional(),
    /** When per-miner detail of one poll is split over several messages: which part this is. */
    part: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).optional(),
  })
  .refine((t) => t.samples.length > 0 || (t.miners?.length ?? 0) > 0, {
    message: 'a telemetry message carries at least one sample or one miner',
    path: ['samples'],
  });
export type Telemetry = z.infer<typeof TelemetrySchema>;

/** `…/{site}/{agent}/telemetry/ack`: everything up to `seq` in `session` is committed. */
export const TelemetryAckSchema = z.object({
  v: VersionSchema,
  session: SessionSchema,
  seq: z.number().int().nonnegative(),
});
export type TelemetryAck = z.infer<typeof TelemetryAckSchema>;
