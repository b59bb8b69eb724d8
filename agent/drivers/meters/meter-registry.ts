/**
 * The only place that knows every meter driver. A MeterConfig variant without
 * a factory here fails to compile.
 */
import type { MeterConfig } from './meter-config.js';
import type { MeterDriver, MeterDriverContext } from './meter-driver.js';
import { createModbusTcpMeter } from './modbus-tcp/modbus-tcp-meter.js';

type Factory<C> = (config: C, context: MeterDriverContext) => MeterDriver;

const FACTORIES = {
  'modbus-tcp': createModbusTcpMeter,
} satisfies { [K in MeterConfig['driver']]: Factory<Extract<MeterConfig, { driver: K }>> };

/** Builds the driver for a validated meter config (parse it with MeterConfigSchema first). */
export function createMeterDriver(config: MeterConfig, context: MeterDriverContext): MeterDriver {
  const factory = FACTORIES[config.driver] as Factory<MeterConfig>;
  return factory(config, context);
}
