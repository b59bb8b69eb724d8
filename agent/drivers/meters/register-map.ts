/**
 * Where each quantity a meter reading carries lives in the meter's register
 * space. Used by the presets, by the generic map in config and by the emulated
 * meter, so all three agree on one shape.
 */
import { z } from 'zod';
import { REGISTER_TYPES } from './register-codec.js';

/** The quantities a MeterReading carries, each in its reading unit. */
export const METER_QUANTITIES = ['powerKw', 'importKwh'] as const;
export type MeterQuantity = (typeof METER_QUANTITIES)[number];

const unitIdSchema = z.number().int().min(0).max(255);

export const RegisterSpecSchema = z.strictObject({
  /** Protocol address, 0-based as sent on the wire: Schneider's "register 3060" is 3059 here. */
  register: z.number().int().min(0).max(0xffff),
  /** 3 = read holding registers, 4 = read input registers. */
  function: z.union([z.literal(3), z.literal(4)]),
  type: z.enum(REGISTER_TYPES),
  wordOrder: z.enum(['big', 'little']).default('big'),
  /** Raw value × scale = value in the quantity's unit (kW or kWh): a meter reporting W uses 0.001. */
  scale: z.number().refine((s) => Number.isFinite(s) && s !== 0, 'scale must be a finite, non-zero number').default(1),
  /** Overrides the meter's unit id for this quantity (several meters behind one gateway). */
  unitId: unitIdSchema.optional(),
});
export type RegisterSpec = z.infer<typeof RegisterSpecSchema>;

export const RegisterMapSchema = z
  .strictObject({
    powerKw: RegisterSpecSchema.optional(),
    importKwh: RegisterSpecSchema.optional(),
  })
  .refine((m) => m.powerKw !== undefined || m.importKwh !== undefined, 'a register map needs at least powerKw or importKwh');
export type RegisterMap = z.infer<typeof RegisterMapSchema>;

export { unitIdSchema };
