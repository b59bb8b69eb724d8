import type { FirmwareName, MinerDriver, MinerEndpoint, MinerReading } from '../drivers/miners/miner-driver.js';
import type { FirmwareChoice } from '../config/agent-config.js';

/** One miner the agent looks after: where it is, its driver once known, and what it last said. */
export interface ManagedMiner {
  id: string;
  endpoint: MinerEndpoint;
  firmware: FirmwareChoice;
  /** Rack from config, else the /24 block of its address: the groups `spread` spreads over. */
  group: string;
  fromRange: boolean;
  driver?: MinerDriver;
  reading?: MinerReading;
  /** A read is running (perhaps past its deadline): never start a second one. */
  busy: boolean;
  /** Its last read got no answer (the reading shown may be carried over): not one to command now. */
  missed?: boolean;
  /** Power and efficiency of the last reading while hashing: what sleeping it saves, how it ranks. */
  lastHashing?: { w: number; jth: number | null; at: number };
}

export function groupOf(host: string, rack: string | undefined): string {
  if (rack) return `rack:${rack}`;
  const parts = host.split('.');
  return parts.length === 4 ? `net:${parts.slice(0, 3).join('.')}` : `host:${host}`;
}

export function detectedFirmware(m: ManagedMiner): FirmwareName | undefined {
  return m.driver?.firmware;
}
