import { z } from 'zod';
import { AgentIdentity, SessionSchema, TimestampSchema, VersionSchema } from './common.js';

/** `…/{site}/{agent}/state`, retained; the MQTT Will is the same with `online: false`. */
export const AgentStateSchema = z.object({
  v: VersionSchema,
  ...AgentIdentity,
  online: z.boolean(),
  session: SessionSchema,
  ts: TimestampSchema,
});
export type AgentState = z.infer<typeof AgentStateSchema>;

/** `hashwatt/v1/_collector/state`, retained, with its own Will. Agents watch it to know the collector is gone. */
export const CollectorStateSchema = z.object({
  v: VersionSchema,
  online: z.boolean(),
  ts: TimestampSchema,
  /** Which collector instance (several may share the load). */
  instance: z.string().max(128).optional(),
});
export type CollectorState = z.infer<typeof CollectorStateSchema>;
