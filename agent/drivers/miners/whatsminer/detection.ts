import type { DetectTarget, FirmwareDetection } from '../detection.js';
import { v3Request, WHATSMINER_V3_PORT } from './v3-transport.js';

/**
 * MicroBT btminer. On API v2 (4028) its cgminer replies say only
 * "cgminer 4.9.2", so the btminer-native `get_version` (`"api_ver":"whatsminer
 * v1.4.0"`) and `devdetails` (`"Driver":"bitmicro"`) identify it. On API v3
 * (4433) a framed `get.device.info` answered with a `code` is a Whatsminer:
 * what it answers, not merely an open port.
 */
export const whatsminerDetection: FirmwareDetection = {
  names: /btminer|whatsminer|microbt|bitmicro/i,
  cgminerProbes: [
    { command: 'get_version', answers: /whatsminer|btminer/i },
    { command: 'devdetails', answers: /"Driver":"bitmicro"/i },
  ],
  async ownDoor(target: DetectTarget): Promise<boolean> {
    try {
      const reply = await v3Request({ host: target.host, port: target.v3Port ?? WHATSMINER_V3_PORT, timeoutMs: target.timeoutMs }, { cmd: 'get.device.info', param: 'miner' });
      return typeof reply === 'object' && reply !== null && 'code' in reply;
    } catch {
      return false;
    }
  },
};
