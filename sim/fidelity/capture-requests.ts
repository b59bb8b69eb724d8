import type { FirmwareName } from '../../agent/drivers/miners/miner-driver.js';

/**
 * How each capture under ../shared/fixtures/miners was asked of the real
 * miner, so the fidelity test can ask the emulator the same. A capture in a
 * folder or under a name not listed here fails the test until it is added:
 * that is the point (a new capture must be answered).
 */

export type CaptureRequest =
  | { transport: 'cgminer'; firmware: FirmwareName; request: Record<string, unknown> }
  | { transport: 'rest'; firmware: FirmwareName; method: 'GET'; path: string };

interface FolderRule {
  prefix: string;
  firmware: FirmwareName;
  transport: 'cgminer' | 'rest';
}

const FOLDERS: readonly FolderRule[] = [
  { prefix: 'antminer-stock/', firmware: 'antminer', transport: 'cgminer' },
  { prefix: 'luxos/', firmware: 'luxos', transport: 'cgminer' },
  { prefix: 'whatsminer/api-v2-', firmware: 'whatsminer', transport: 'cgminer' },
  { prefix: 'braiins-os/bosminer-api-', firmware: 'braiins', transport: 'cgminer' },
  { prefix: 'braiins-os/rest-', firmware: 'braiins', transport: 'rest' },
];

/** Braiins OS REST v1 routes, by the capture's file name. */
const REST_PATHS: Readonly<Record<string, string>> = {
  version: '/api/v1/version',
  miner_details: '/api/v1/miner/details',
  miner_stats: '/api/v1/miner/stats',
  miner_hw_hashboards: '/api/v1/miner/hw/hashboards',
  cooling_state: '/api/v1/cooling/state',
  performance_tuner_state: '/api/v1/performance/tuner-state',
  configuration_miner: '/api/v1/configuration/miner',
};

/**
 * The request behind one capture (path relative to fixtures/miners), or a
 * string saying why there is none. cgminer captures are named after their
 * command; `<command>_with_<case>` is the same command on a miner in that case
 * (`summary_with_errors`).
 */
export function requestForCapture(relativePath: string): CaptureRequest | string {
  const rule = FOLDERS.find((f) => relativePath.startsWith(f.prefix));
  if (!rule) return `no rule for the folder of ${relativePath}: add it to sim/fidelity/capture-requests.ts`;
  const name = relativePath.split('/').at(-1)!.replace(/\.json$/, '');
  if (rule.transport === 'rest') {
    const path = REST_PATHS[name];
    return path ? { transport: 'rest', firmware: rule.firmware, method: 'GET', path } : `no REST route for ${relativePath}: add it to sim/fidelity/capture-requests.ts`;
  }
  return { transport: 'cgminer', firmware: rule.firmware, request: { command: name.replace(/_with_\w+$/, '') } };
}
