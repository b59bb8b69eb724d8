import type { DriverContext, MinerDriver, MinerEndpoint } from '../miner-driver.js';
import { AppError } from '../../../../shared/errors.js';

/** Placeholder so the registry compiles; the real driver lands in the next commits. */
export function createWhatsminerDriver(endpoint: MinerEndpoint, _context: DriverContext): MinerDriver {
  const notYet = (): never => {
    throw new AppError('UNSUPPORTED', 'whatsminer driver not implemented yet');
  };
  return {
    firmware: 'whatsminer',
    endpoint,
    read: async () => notYet(),
    capabilities: () => ({ sleep: false, wake: false, powerTarget: false }),
    sleep: async () => notYet(),
    wake: async () => notYet(),
    setPowerTarget: async () => notYet(),
  };
}
