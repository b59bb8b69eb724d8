/**
 * Meter config as it appears in the agent's YAML, validated by zod. The schema
 * is the type; add a driver by adding a variant to MeterConfigSchema and a
 * factory to meter-registry.ts (which then fails to compile until it has one).
 */
import { z } from 'zod';
import { METER_PRESET_NAMES } from './presets.js';
import { RegisterMapSchema, unitIdSchema } from './register-map.js';

export const ModbusTcpMeterConfigSchema = z
  .strictObject({
    driver: z.literal('modbus-tcp'),
    host: z.string().min(1, 'host must not be empty'),
    port: z.number().int().min(1).max(65535).default(502),
    unitId: unitIdSchema.default(1),
    preset: z.enum(METER_PRESET_NAMES).optional(),
    map: RegisterMapSchema.optional(),
    /** Deadline for one whole read (connect + every register request). */
    timeoutMs: z.number().int().min(50).max(60_000).default(2000),
  })
  .superRefine((c, ctx) => {
    if (c.preset === undefined && c.map === undefined) {
      ctx.addIssue({ code: 'custom', path: ['preset'], message: `set either preset (${METER_PRESET_NAMES.join(', ')}) or a generic map` });
    }
    if (c.preset !== undefined && c.map !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['map'], message: 'set preset or map, not both' });
    }
  });
export type ModbusTcpMeterConfig = z.infer<typeof ModbusTcpMeterConfigSchema>;

export const MeterConfigSchema = z.discriminatedUnion('driver', [ModbusTcpMeterConfigSchema]);
export type MeterConfig = z.infer<typeof MeterConfigSchema>;
/** What a user writes (defaults not yet applied). */
export type MeterConfigInput = z.input<typeof MeterConfigSchema>;
