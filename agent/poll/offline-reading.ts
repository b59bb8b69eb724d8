import type { MinerReading, MinerState } from '../drivers/miners/miner-driver.js';
import type { ManagedMiner } from './managed-miner.js';

/** A reading for a miner that could not be read: keeps its identity, carries the reason. */
export function unreadReading(m: ManagedMiner, state: MinerState, error: string, now: number): MinerReading {
  const prev = m.reading;
  return {
    id: m.id,
    host: m.endpoint.host,
    make: prev?.make ?? 'unknown',
    model: prev?.model ?? 'unknown',
    firmware: m.driver?.firmware ?? 'unknown',
    firmwareVersion: prev?.firmwareVersion ?? '',
    state,
    powerW: null,
    powerSource: 'none',
    hashrateThs: 0,
    nominalThs: prev?.nominalThs ?? null,
    efficiencyJth: null,
    maxTempC: null,
    fanRpm: [],
    uptimeS: null,
    error,
    readAt: now,
  };
}
