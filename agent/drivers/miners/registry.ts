import { AppError } from '../../../shared/errors.js';
import { FIRMWARES, type DriverContext, type FirmwareName, type MinerDriver, type MinerEndpoint } from './miner-driver.js';
import { createLuxosDriver } from './luxos/index.js';
import { createBraiinsDriver } from './braiins/index.js';
import { createAntminerDriver } from './antminer/index.js'; // antminer: owned by the Antminer/Whatsminer drivers
import { createWhatsminerDriver } from './whatsminer/index.js'; // whatsminer: owned by the Antminer/Whatsminer drivers

export type MinerDriverFactory = (endpoint: MinerEndpoint, context: DriverContext) => MinerDriver;

/** The only place that knows every miner driver; a FirmwareName without a factory fails to compile. */
export const MINER_DRIVERS = {
  luxos: createLuxosDriver,
  braiins: createBraiinsDriver,
  antminer: createAntminerDriver,
  whatsminer: createWhatsminerDriver,
} as const satisfies { [K in FirmwareName]: MinerDriverFactory };

export function isFirmwareName(value: string): value is FirmwareName {
  return (FIRMWARES as readonly string[]).includes(value);
}

export function createMinerDriver(firmware: FirmwareName, endpoint: MinerEndpoint, context: DriverContext): MinerDriver {
  const factory: MinerDriverFactory | undefined = MINER_DRIVERS[firmware];
  if (!factory) throw new AppError('UNSUPPORTED', `no miner driver for firmware '${String(firmware)}' (known: ${FIRMWARES.join(', ')})`);
  return factory(endpoint, context);
}
