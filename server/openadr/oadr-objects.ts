import { z } from 'zod';

/**
 * The parts of OpenADR 3.1 objects the VEN reads (openadr3.yaml, components/schemas).
 * Loose: unknown fields pass, so a VTN that adds some does not break the VEN; the
 * tests check every exchange against the full OpenAPI document instead.
 */
export const IntervalPeriodSchema = z.object({
  start: z.string().optional(),
  duration: z.string().optional(),
  randomizeStart: z.string().optional(),
});
export type IntervalPeriod = z.infer<typeof IntervalPeriodSchema>;

export const ValuesMapSchema = z.object({ type: z.string().min(1), values: z.array(z.unknown()) });

export const IntervalSchema = z.object({
  id: z.number().int(),
  intervalPeriod: IntervalPeriodSchema.nullish(),
  payloads: z.array(ValuesMapSchema),
});
export type Interval = z.infer<typeof IntervalSchema>;

export const ReportDescriptorSchema = z.object({ payloadType: z.string().min(1), units: z.string().nullish(), aggregate: z.boolean().nullish() });

export const OadrEventSchema = z.object({
  id: z.string().min(1),
  programID: z.string().min(1),
  eventName: z.string().nullish(),
  modificationDateTime: z.string(),
  createdDateTime: z.string().optional(),
  priority: z.number().int().nullish(),
  targets: z.array(z.string()).nullish(),
  reportDescriptors: z.array(ReportDescriptorSchema).nullish(),
  payloadDescriptors: z.array(z.object({ payloadType: z.string(), units: z.string().nullish(), currency: z.string().nullish() })).nullish(),
  intervalPeriod: IntervalPeriodSchema.nullish(),
  intervals: z.array(IntervalSchema).default([]),
});
export type OadrEvent = z.infer<typeof OadrEventSchema>;

export const OadrProgramSchema = z.object({ id: z.string().min(1), programName: z.string().min(1) });
export type OadrProgram = z.infer<typeof OadrProgramSchema>;

export const TokenResponseSchema = z.object({ access_token: z.string().min(1), token_type: z.string(), expires_in: z.number().optional() });

/** A webhook or MQTT notification (schemas/notification). */
export const NotificationSchema = z.object({ objectType: z.string(), operation: z.enum(['CREATE', 'READ', 'UPDATE', 'DELETE']), object: z.record(z.string(), z.unknown()) });
