export { createMeterDriver } from './meter-registry.js';
export { MeterConfigSchema, ModbusTcpMeterConfigSchema, type MeterConfig, type MeterConfigInput, type ModbusTcpMeterConfig } from './meter-config.js';
export type { MeterDriver, MeterDriverContext, MeterReading } from './meter-driver.js';
export { METER_PRESETS, METER_PRESET_NAMES, type MeterPresetName } from './presets.js';
export { RegisterMapSchema, RegisterSpecSchema, type RegisterMap, type RegisterSpec } from './register-map.js';
export { decodeRegisters, encodeRegisters, registerCount, REGISTER_TYPES, type RegisterType, type WordOrder } from './register-codec.js';
