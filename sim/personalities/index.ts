import type { FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { Personality } from '../emulated-miner.js';
import { antminerPersonality } from './antminer.js';
import { braiinsPersonality } from './braiins.js';
import { luxosPersonality } from './luxos.js';
import { whatsminerPersonality } from './whatsminer.js';

/**
 * The one place that knows every firmware personality; a firmware added to
 * FIRMWARES without one here fails to compile.
 */
export const PERSONALITIES = {
  antminer: antminerPersonality,
  luxos: luxosPersonality,
  braiins: braiinsPersonality,
  whatsminer: whatsminerPersonality,
} as const satisfies { [K in FirmwareName]: Personality };
