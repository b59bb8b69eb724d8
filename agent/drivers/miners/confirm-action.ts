import { isAppError, describeError, type ErrorCode } from '../../../shared/errors.js';
import type { ActionFailure, ActionResult, MinerReading } from './miner-driver.js';

/**
 * Every control action is judged by reading the miner back, never by the
 * command's reply (firmwares answer success and keep hashing: docs/decisions.md#curtailment).
 * Drivers call `performAction` with the command and what success looks like.
 */

export interface PerformActionOptions {
  /** Sends the command; throws AppError on failure (AUTH_FAILED, UNREACHABLE, TIMEOUT, UNSUPPORTED, MINER_ERROR…). */
  send: () => Promise<void>;
  /** Reads the miner (a driver's `read()`: never throws, an unreachable miner is state `offline`). */
  read: () => Promise<MinerReading>;
  /** True when the reading shows the action done. */
  reached: (reading: MinerReading) => boolean;
  /** True when the reading shows the miner never started on it (→ `ignored` rather than `timeout` at the deadline). */
  unchanged: (reading: MinerReading) => boolean;
  /** What we waited for, in words, for the failure message. */
  expected: string;
  confirmTimeoutMs: number;
  /** Pause between read-backs. */
  intervalMs?: number;
  now?: () => number;
  /** Return once sent, without reading back (see ActionOptions.sendOnly). */
  sendOnly?: boolean;
}

/** Maps an error code from sending a command onto the ActionResult vocabulary. */
export function failureFromCode(code: ErrorCode | undefined): ActionFailure {
  switch (code) {
    case 'AUTH_FAILED':
      return 'auth_failed';
    case 'UNREACHABLE':
      return 'unreachable';
    case 'TIMEOUT':
      return 'timeout';
    case 'UNSUPPORTED':
      return 'unsupported';
    default:
      // MINER_ERROR / PROTOCOL / PARSE: the miner did not carry the action out.
      return 'ignored';
  }
}

export async function performAction(options: PerformActionOptions): Promise<ActionResult> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  try {
    await options.send();
  } catch (err) {
    const code = isAppError(err) ? err.code : undefined;
    return { ok: false, reason: failureFromCode(code), message: describeError(err), elapsedMs: now() - startedAt };
  }
  if (options.sendOnly) return { ok: true, sent: true, elapsedMs: now() - startedAt };
  return confirmByReading({ ...options, startedAt });
}

/** Reads back until `reached` or the deadline; usable alone when the command was sent elsewhere. */
export async function confirmByReading(options: Omit<PerformActionOptions, 'send'> & { startedAt?: number }): Promise<ActionResult> {
  const now = options.now ?? Date.now;
  const startedAt = options.startedAt ?? now();
  const deadline = startedAt + options.confirmTimeoutMs;
  const interval = options.intervalMs ?? 500;
  let last: MinerReading | undefined;
  for (;;) {
    last = await options.read();
    if (last.state !== 'offline' && last.state !== 'error' && options.reached(last)) {
      return { ok: true, observedState: last.state, observedPowerW: last.powerW, elapsedMs: now() - startedAt };
    }
    const remaining = deadline - now();
    if (remaining <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(interval, remaining)));
  }
  const observed = { observedState: last.state, observedPowerW: last.powerW, elapsedMs: now() - startedAt };
  const seen = `state ${last.state}, ${last.powerW ?? '?'} W, ${last.hashrateThs.toFixed(1)} TH/s`;
  if (last.state === 'offline') {
    return { ok: false, reason: 'unreachable', message: `not confirmed: ${last.error ?? 'miner did not answer'} (waited for ${options.expected})`, ...observed };
  }
  if (options.unchanged(last)) {
    return { ok: false, reason: 'ignored', message: `miner accepted the command but still shows ${seen} after ${options.confirmTimeoutMs} ms (expected ${options.expected})`, ...observed };
  }
  return { ok: false, reason: 'timeout', message: `not confirmed within ${options.confirmTimeoutMs} ms: ${seen} (expected ${options.expected})`, ...observed };
}

/** Hashrate at or below this counts as "not hashing" (fans-only sleep still reports stray TH/s on some firmwares). */
const ASLEEP_THS = 0.5;

/**
 * Reported draw at or below this counts as asleep. A sleeping ASIC draws tens of
 * watts (control board, idle fans); firmwares flip their state to sleeping and
 * report zero hashrate while the boards are still ramping down from ~3 kW, and a
 * grid operator counts watts, not states. Estimated power (stock Antminer) is
 * derived from hashrate, so it adds nothing and is not checked.
 */
export const ASLEEP_MAX_W = 300;

/** A measured draw that agrees with the state (sleep level or above it), or no measurement to contradict it. */
const drawShows = (r: MinerReading, asleep: boolean): boolean =>
  r.powerSource !== 'reported' || r.powerW === null || (asleep ? r.powerW <= ASLEEP_MAX_W : r.powerW > ASLEEP_MAX_W);

/** Standard expectations, shared by every driver so "confirmed" means the same thing for all firmwares. */
export const EXPECT = {
  sleep: {
    expected: `state sleeping with hashing stopped and reported draw at or below ${ASLEEP_MAX_W} W`,
    reached: (r: MinerReading) => r.state === 'sleeping' && r.hashrateThs <= ASLEEP_THS && drawShows(r, true),
    unchanged: (r: MinerReading) => r.state === 'hashing' && r.hashrateThs > ASLEEP_THS,
  },
  wake: {
    expected: `state hashing with hashrate above zero and reported draw above ${ASLEEP_MAX_W} W`,
    reached: (r: MinerReading) => r.state === 'hashing' && r.hashrateThs > ASLEEP_THS && drawShows(r, false),
    unchanged: (r: MinerReading) => r.state === 'sleeping',
  },
  /** Power at or under the target (5 % or 30 W slack for measurement noise) while still hashing. */
  powerTarget: (watts: number, beforeW: number | null) => ({
    expected: `hashing at or below ${watts} W`,
    reached: (r: MinerReading) =>
      r.state === 'hashing' && r.powerW !== null && r.powerW <= watts + Math.max(watts * 0.05, 30) && (r.powerTargetW === undefined || Math.abs(r.powerTargetW - watts) <= 1),
    unchanged: (r: MinerReading) => r.powerW !== null && beforeW !== null && Math.abs(r.powerW - beforeW) <= Math.max(beforeW * 0.02, 10) && r.powerTargetW !== watts,
  }),
} as const;

/** Default read-back deadline: pause ≈ 6 s and resume ≈ 10 s on real miners (docs/decisions.md#emulator), with margin. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 45_000;
