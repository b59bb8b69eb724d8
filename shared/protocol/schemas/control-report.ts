import { z } from 'zod';
import { AgentIdentity, CountSchema, KwSchema, SessionSchema, TimestampSchema, VersionSchema } from './common.js';

export const CONTROL_REPORT_STATUSES = ['received', 'accepted', 'rejected', 'ramping', 'holding', 'released', 'failed'] as const;

/** Why a control was refused; `bad_signature` and `stale` are what security tests look for. */
export const REJECT_REASONS = ['unsigned', 'bad_signature', 'stale', 'expired', 'invalid', 'wrong_target', 'superseded'] as const;
/** Why an accepted control could not be met. */
export const FAIL_REASONS = ['insufficient_capacity', 'miners_unresponsive', 'no_measurement', 'internal'] as const;

/** `…/{site}/{agent}/control/report`: what the agent did about one control revision. */
export const ControlReportSchema = z
  .object({
    v: VersionSchema,
    ...AgentIdentity,
    revision: z.number().int().nonnegative(),
    status: z.enum(CONTROL_REPORT_STATUSES),
    reason: z.enum([...REJECT_REASONS, ...FAIL_REASONS]).optional(),
    detail: z.string().max(500).optional(),
    /** Site power the agent measured when it sent this report (meter, else miner sum). */
    achievedKw: KwSchema.nullable().optional(),
    /** The kW cap the agent is steering to, when the mode has one. */
    targetKw: KwSchema.nullable().optional(),
    minersAsleep: CountSchema.optional(),
    /** Miners running at a power target the agent lowered (`level: power_target`). */
    minersTargeted: CountSchema.optional(),
    ts: TimestampSchema,
    /**
     * Where the report sits in the agent's telemetry sequence: a report with
     * them is kept in the agent's outbox and replayed until a telemetry/ack
     * covers it, like telemetry (docs/protocol.md#controlreport). Both or neither.
     */
    session: SessionSchema.optional(),
    seq: z.number().int().positive().optional(),
  })
  .refine((r) => (r.session === undefined) === (r.seq === undefined), { message: 'session and seq come together', path: ['seq'] })
  .refine((r) => (r.status === 'rejected' || r.status === 'failed' ? r.reason !== undefined : true), {
    message: 'rejected and failed reports name a reason',
    path: ['reason'],
  });
export type ControlReport = z.infer<typeof ControlReportSchema>;
