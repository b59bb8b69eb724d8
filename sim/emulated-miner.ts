import type { FirmwareName } from '../agent/drivers/miners/miner-driver.js';

/**
 * The contract between the emulator core (sim/fleet, which owns the physics:
 * states, timing, jitter, faults, sockets) and the per-firmware personalities
 * (sim/personalities/<firmware>.ts, which own the wire shapes and auth).
 */

export interface MinerModelSpec {
  make: string;
  model: string;
  nominalThs: number;
  nominalW: number;
  /** Fans and control board while asleep. */
  sleepW: number;
  hashboards: number;
  /**
   * Below nameplate: hashrate ∝ (power ratio)^exponent (< 1, so J/TH improves
   * as power falls) down to `floorRatio` of nameplate, the lowest target the
   * firmware accepts (it clamps lower ones). Defaults: 0.5 and 0.85.
   */
  curve?: { floorRatio: number; exponent: number };
}

/** What the machine is physically doing; personalities map it to each firmware's words. */
export type EmulatedPhase = 'hashing' | 'pausing' | 'sleeping' | 'waking';

export interface MinerSnapshot {
  phase: EmulatedPhase;
  powerW: number;
  hashrateThs: number;
  /** Per hashboard chip temperature. */
  boardTempsC: number[];
  fanRpm: number[];
  uptimeS: number;
  powerTargetW: number | null;
  /** Cumulative accepted shares etc. are derived from uptime by personalities. */
  now: number;
}

export interface MinerFaults {
  hung: boolean;
  garbage: boolean;
  refuse: boolean;
  slow: boolean;
  /** Answers success to sleep and keeps hashing (stock S21+ behaviour). */
  ignoreSleep: boolean;
}

export interface EmulatedMiner {
  readonly id: string;
  readonly index: number;
  /** Address the miner answers on (its own loopback address, or 127.0.0.1 in port mode). */
  readonly host: string;
  readonly firmware: FirmwareName;
  readonly spec: MinerModelSpec;
  readonly mac: string;
  readonly serial: string;
  readonly credentials: { username: string; password: string };
  readonly faults: MinerFaults;
  snapshot(): MinerSnapshot;
  /** Begin powering hashboards down (≈6 s × time factor); ignored if faults.ignoreSleep. */
  requestSleep(): void;
  /** Begin powering back up (≈10 s × time factor to full hashrate). */
  requestWake(): void;
  setPowerTarget(watts: number | null): void;
  /** Per-personality mutable state (sessions, tokens, saved config). */
  readonly memory: Map<string, unknown>;
}

export interface HttpRequestLike {
  method: string;
  /** Path with query string. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface Personality {
  readonly firmware: FirmwareName;
  /**
   * One cgminer-family API request on TCP 4028, already parsed from JSON (the
   * core answers unparseable requests itself). Returns the reply as a string;
   * the core appends the NUL terminator and closes the socket.
   */
  cgminer?(miner: EmulatedMiner, request: Record<string, unknown>): string;
  /** Whatsminer API v3 on TCP 4433: one framed JSON request → one framed JSON reply. */
  v3?(miner: EmulatedMiner, request: Record<string, unknown>): Record<string, unknown>;
  /** HTTP on port 80: stock Antminer CGI, Braiins OS REST. */
  http?(miner: EmulatedMiner, request: HttpRequestLike): HttpReply | Promise<HttpReply>;
}
