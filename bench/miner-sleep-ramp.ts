/**
 * The emulated ramp the miner-sleep bench compares the CLI against, taken from
 * the emulator's own physics rather than guessed: SimulatedMiner instances on a
 * virtual clock, one per model the emulator can lay out, checked each
 * millisecond with the very predicates the CLI confirms with (EXPECT).
 *
 * Two figures per action:
 * - transitionMs: the emulator's whole transition (pause until the voltage is
 *   cut; wake until full frequency), REAL_TIMING_MS × time factor;
 * - confirmableMs: the first moment a read-back can satisfy the confirmation,
 *   the slowest model's. No CLI can confirm earlier, so this is the floor the
 *   command's overhead is measured from. The personalities report a miner as
 *   paused from the command on (phase pausing or sleeping), and as hashing
 *   once it is waking; the draw settles later, and confirmation waits for it.
 */
import { EXPECT } from '../agent/drivers/miners/confirm-action.js';
import { FIRMWARES, type MinerReading } from '../agent/drivers/miners/miner-driver.js';
import { noFaults } from '../sim/fleet/fleet-layout.js';
import { MODELS_BY_FIRMWARE } from '../sim/fleet/model-specs.js';
import { REAL_TIMING_MS, SimulatedMiner } from '../sim/fleet/simulated-miner.js';

export interface Ramp {
  transitionMs: number;
  confirmableMs: number;
}

const STEP_MS = 1;

function asReading(miner: SimulatedMiner, powerSource: MinerReading['powerSource']): MinerReading {
  const s = miner.snapshot();
  const paused = s.phase === 'pausing' || s.phase === 'sleeping';
  // What EXPECT.sleep / EXPECT.wake look at: state, hashrate, and the draw where the firmware reports it.
  return { state: paused ? 'sleeping' : 'hashing', hashrateThs: s.hashrateThs, powerW: s.powerW, powerSource } as MinerReading;
}

/** Virtual ms from the command until `reached`, for one model; Infinity if never within 10× the transition. */
function firstReached(miner: SimulatedMiner, powerSource: MinerReading['powerSource'], clock: { t: number }, reached: (r: MinerReading) => boolean, limitMs: number): number {
  const start = clock.t;
  while (clock.t - start <= limitMs) {
    if (reached(asReading(miner, powerSource))) return clock.t - start;
    clock.t += STEP_MS;
  }
  return Number.POSITIVE_INFINITY;
}

export function emulatedRamps(timeFactor: number): { sleep: Ramp; wake: Ramp } {
  let sleepMs = 0;
  let wakeMs = 0;
  const pause = REAL_TIMING_MS.pause * timeFactor;
  const wake = REAL_TIMING_MS.wake * timeFactor;
  for (const firmware of FIRMWARES) {
    // Stock Antminer firmware reports no power (the driver estimates it from hashrate).
    const powerSource = firmware === 'antminer' ? 'estimated' : 'reported';
    for (const [index, { spec }] of MODELS_BY_FIRMWARE[firmware].entries()) {
      const clock = { t: 1_000_000 };
      const miner = new SimulatedMiner({
        id: 'ramp', index, host: '127.0.0.1', firmware, spec, mac: '', serial: '', credentials: { username: '', password: '' },
        faults: noFaults(), seed: 1, timeFactor, powerSpread: 1, hashSpread: 1, bootAt: 0, now: () => clock.t,
      });
      miner.requestSleep();
      sleepMs = Math.max(sleepMs, firstReached(miner, powerSource, clock, EXPECT.sleep.reached, 10 * pause));
      clock.t += pause; // surely asleep now: wake from rest, as the bench does
      miner.requestWake();
      wakeMs = Math.max(wakeMs, firstReached(miner, powerSource, clock, EXPECT.wake.reached, 10 * wake));
    }
  }
  return { sleep: { transitionMs: pause, confirmableMs: sleepMs }, wake: { transitionMs: wake, confirmableMs: wakeMs } };
}
