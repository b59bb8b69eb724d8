import { AppError } from '../../../shared/errors.js';
import { FIRMWARES, type DriverContext, type FirmwareName, type MinerDriver, type MinerEndpoint } from './miner-driver.js';
import type { FirmwareDetection } from './detection.js';
import { createLuxosDriver, luxosDetection } from './luxos/index.js';
import { braiinsDetection, createBraiinsDriver } from './braiins/index.js';
import { antminerDetection, createAntminerDriver } from './antminer/index.js';
import { createWhatsminerDriver, whatsminerDetection } from './whatsminer/index.js';

export type MinerDriverFactory = (endpoint: MinerEndpoint, context: DriverContext) => MinerDriver;

export interface MinerDriverEntry {
  create: MinerDriverFactory;
  /** How this firmware is recognised from what a host answers (see detection.ts). */
  detection: FirmwareDetection;
}

/** The only place that knows every miner driver; a FirmwareName without an entry fails to compile. */
export const MINER_DRIVERS = {
  luxos: { create: createLuxosDriver, detection: luxosDetection },
  braiins: { create: createBraiinsDriver, detection: braiinsDetection },
  antminer: { create: createAntminerDriver, detection: antminerDetection },
  whatsminer: { create: createWhatsminerDriver, detection: whatsminerDetection },
} as const satisfies { [K in FirmwareName]: MinerDriverEntry };

/**
 * The order detection asks the drivers in, most specific first: LuxOS and
 * Braiins OS run on Antminer hardware and their replies say "Antminer" too,
 * so stock Antminer (whose words are the generic ones) comes last.
 */
export const DETECTION_ORDER: readonly FirmwareName[] = ['luxos', 'braiins', 'whatsminer', 'antminer'];

export function isFirmwareName(value: string): value is FirmwareName {
  return (FIRMWARES as readonly string[]).includes(value);
}

export function createMinerDriver(firmware: FirmwareName, endpoint: MinerEndpoint, context: DriverContext): MinerDriver {
  const entry: MinerDriverEntry | undefined = MINER_DRIVERS[firmware];
  if (!entry) throw new AppError('UNSUPPORTED', `no miner driver for firmware '${String(firmware)}' (known: ${FIRMWARES.join(', ')})`);
  return entry.create(endpoint, context);
}

export function detectionOf(firmware: FirmwareName): FirmwareDetection {
  return MINER_DRIVERS[firmware].detection;
}
