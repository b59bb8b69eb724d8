import type { FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { Personality } from '../emulated-miner.js';
import { PERSONALITIES } from '../personalities/index.js';

/** The personality each firmware gets unless the caller overrides it: the real wire shapes of sim/personalities/. */
export function defaultPersonalities(): Record<FirmwareName, Personality> {
  return { ...PERSONALITIES };
}
