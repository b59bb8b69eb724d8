/**
 * The one interface every meter driver implements (docs/decisions.md#miners). Reads never
 * throw: a meter that is unreachable, hung or answers garbage gives a reading
 * with nulls and a reason, and the caller decides what that means for
 * curtailment (a missing meter must never look like 0 kW).
 */
import type { Logger } from '../../../shared/log/logger.js';

export interface MeterReading {
  /** Total active power of the site, kW; null when not read. */
  powerKw: number | null;
  /** Total imported active energy, kWh (meter counter); null when not read or not mapped. */
  importKwh: number | null;
  /** When the reading was taken (ms since epoch). */
  readAt: number;
  /** Why a quantity is null, in words an operator can act on. */
  error?: string;
}

export interface MeterDriver {
  /** Config driver name, e.g. 'modbus-tcp'. */
  readonly driver: string;
  /** host:port (or similar) for logs and status. */
  readonly endpoint: string;
  /** Connects and takes a first reading, so a misconfigured meter shows in the log at startup. Never throws; read() also connects lazily. */
  start(): Promise<void>;
  read(): Promise<MeterReading>;
  /** Closes the connection; waits for a read in flight. */
  stop(): Promise<void>;
}

export interface MeterDriverContext {
  /** The meter component's logger, e.g. `log.child({ component: 'meter' })`. */
  log: Logger;
  now?: () => number;
}
