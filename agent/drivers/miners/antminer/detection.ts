import type { FirmwareDetection } from '../detection.js';

/**
 * Stock Bitmain firmware: `version`/`stats` carry `BMMiner` and
 * `"Type":"Antminer S19 Pro"`. LuxOS and Braiins OS run on the same hardware
 * and say "Antminer" too, so this is checked after them (DETECTION_ORDER).
 */
export const antminerDetection: FirmwareDetection = {
  names: /bmminer|antminer|bitmain/i,
};
