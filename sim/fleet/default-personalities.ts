import { FIRMWARES, type FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { Personality } from '../emulated-miner.js';
import { basicPersonality } from './basic-personality.js';

/**
 * The personality each firmware gets unless the caller overrides it. Until
 * the real firmware personalities land in sim/personalities/, every firmware
 * speaks the plain cgminer dialect of basic-personality.ts.
 */
export function defaultPersonalities(): Record<FirmwareName, Personality> {
  return Object.fromEntries(FIRMWARES.map((f) => [f, basicPersonality(f)])) as Record<FirmwareName, Personality>;
}
