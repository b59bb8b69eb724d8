import { defaultPersonalities } from './default-personalities.js';
import { apportion, type FirmwareMix } from './fleet-spec.js';
import { portKindsOf } from './miner-listeners.js';

/**
 * Listening sockets (a file descriptor each) that a fleet of `count` miners of
 * this mix opens: one per port its firmware serves. Lets a caller plan around
 * the open-files limit before starting the fleet.
 */
export function listeningSocketsOf(count: number, mix: FirmwareMix): number {
  const personalities = defaultPersonalities();
  return apportion(count, mix).reduce((n, [firmware, miners]) => n + miners * portKindsOf(personalities[firmware]).length, 0);
}
