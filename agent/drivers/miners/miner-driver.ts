/**
 * The one interface every miner driver implements (docs/decisions.md#miners). A driver combines
 * a transport (framing, deadlines) with pure parsers (response → reading) and
 * declares what it can do. Reads never throw: a failing miner is a reading with
 * state `offline` or `error` and a reason (Telegraf's acc.AddError habit).
 */

export const FIRMWARES = ['antminer', 'luxos', 'braiins', 'whatsminer'] as const;
export type FirmwareName = (typeof FIRMWARES)[number];

// The states a reading can have are the wire protocol's, so they are defined once there.
export { MINER_STATES } from '../../../shared/protocol/schemas/common.js';
import type { MINER_STATES } from '../../../shared/protocol/schemas/common.js';
export type MinerState = (typeof MINER_STATES)[number];

export type PowerSource = 'reported' | 'estimated' | 'none';

export interface MinerReading {
  /** Stable id of the miner within its site (config id, else derived from host:port). */
  id: string;
  /** host or host:port as polled. */
  host: string;
  make: string;
  model: string;
  firmware: FirmwareName | 'unknown';
  firmwareVersion: string;
  state: MinerState;
  powerW: number | null;
  powerSource: PowerSource;
  hashrateThs: number;
  nominalThs: number | null;
  /** J/TH = W / TH/s; null when either is unknown or hashrate is zero. */
  efficiencyJth: number | null;
  maxTempC: number | null;
  fanRpm: number[];
  uptimeS: number | null;
  powerTargetW?: number;
  /**
   * A login the firmware needs was missing or refused, so the reading is
   * partial (what an unauthenticated API says) and actions will fail. Names the
   * user, never the password.
   */
  login?: LoginProblem;
  /** Why the reading is offline/error, in words an operator can act on. */
  error?: string;
  /** When the reading was taken (ms since epoch). */
  readAt: number;
}

export interface LoginProblem {
  firmware: FirmwareName;
  /** The user tried (the factory default when none was given). */
  username: string;
  /** `missing`: no login was given and the factory default was refused; `refused`: the given one was. */
  problem: 'missing' | 'refused';
  /** What was refused and what the reading lacks because of it. */
  message: string;
}

/** Where a miner lives and how to talk to it. */
export interface MinerEndpoint {
  id: string;
  host: string;
  /** Override the firmware's default port (4028, 4433, 80). */
  port?: number;
  /** Port of the web UI / REST API when not 80 (stock Antminer CGI, Braiins REST). */
  httpPort?: number;
  /** Port of the Whatsminer API v3 when not 4433. */
  v3Port?: number;
  username?: string;
  password?: string;
}

export interface PowerTargetRange {
  minW?: number;
  maxW?: number;
}

export interface MinerCapabilities {
  sleep: boolean;
  wake: boolean;
  powerTarget: false | PowerTargetRange;
}

export type ActionFailure = 'ignored' | 'unreachable' | 'auth_failed' | 'unsupported' | 'timeout';

/** The outcome of a control action, built from reading the miner back, never from the command's reply. */
export type ActionResult =
  | { ok: true; observedState: MinerState; observedPowerW: number | null; elapsedMs: number }
  /** `sendOnly`: the miner took the command; nothing was read back yet (the caller confirms later). */
  | { ok: true; sent: true; observedState?: undefined; observedPowerW?: undefined; elapsedMs: number }
  | { ok: false; reason: ActionFailure; message: string; observedState?: MinerState; observedPowerW?: number | null; elapsedMs: number };

export interface ActionOptions {
  /** How long to keep reading back before calling the action failed. */
  confirmTimeoutMs?: number;
  /**
   * Send the command and return once the miner took it, without reading back
   * (result `{ ok: true, sent: true }`). For an emergency wave, where thousands
   * of read-back loops would compete with the commands themselves and the
   * agent's next poll confirms every miner at once.
   */
  sendOnly?: boolean;
}

export interface MinerDriver {
  readonly firmware: FirmwareName;
  readonly endpoint: MinerEndpoint;
  read(): Promise<MinerReading>;
  capabilities(): MinerCapabilities;
  sleep(options?: ActionOptions): Promise<ActionResult>;
  wake(options?: ActionOptions): Promise<ActionResult>;
  setPowerTarget(watts: number, options?: ActionOptions): Promise<ActionResult>;
}

export interface DriverContext {
  /** Deadline for one request to the miner. */
  requestTimeoutMs: number;
  now?: () => number;
}
