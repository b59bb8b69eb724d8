import type { Logger } from '../../shared/log/logger.js';
import type { MinerReading } from '../drivers/miners/miner-driver.js';
import type { ManagedMiner } from './managed-miner.js';
import { unreadReading } from './offline-reading.js';
import { runBounded, withDeadline } from './run-bounded.js';

export interface PollCycleOptions {
  concurrency: number;
  timeoutMs: number;
  /**
   * A miner that misses one read (deadline passed, or its previous read still
   * running) keeps its last reading this long before it counts as offline.
   * 0: offline at the first miss.
   */
  keepLastMs?: number;
  now: () => number;
  log: Logger;
}

export interface PollCycleResult {
  readings: MinerReading[];
  /** Miners whose state differs from the previous reading. */
  changed: MinerReading[];
  timedOut: number;
  skippedBusy: number;
  /** Missed reads shown with the miner's last reading (within keepLastMs). */
  carried: number;
}

/**
 * Reads every miner once with bounded concurrency and a deadline each. A hung
 * miner costs only its own reading: it is reported offline and, while its
 * read is still running, skipped by later cycles rather than read twice.
 *
 * One missed read is not news about the miner: on a loaded agent (an emergency
 * wave, thousands of miners on two cores) reads run past their deadline while
 * the miners are fine. Counting each such miner offline for one cycle made the
 * site's state counts and miner kW jump (a fleet's sleeping count fell by a
 * third between two polls while nothing woke). So a missed read shows the
 * miner's last reading, unchanged and with its old readAt (nothing confirms
 * from it), until `keepLastMs` has passed since that reading.
 */
export async function pollCycle(miners: readonly ManagedMiner[], options: PollCycleOptions): Promise<PollCycleResult> {
  const { now, log } = options;
  let timedOut = 0;
  let skippedBusy = 0;
  let carried = 0;
  const changed: MinerReading[] = [];
  const keepLastMs = options.keepLastMs ?? 0;
  /** The last real reading, while fresh enough to stand in for a missed one. */
  const lastOr = (m: ManagedMiner, missed: MinerReading): MinerReading => {
    const prev = m.reading;
    if (keepLastMs <= 0 || !prev || prev.state === 'offline' || prev.state === 'error' || now() - prev.readAt > keepLastMs) return missed;
    carried++;
    return { ...prev, error: `${missed.error ?? 'read missed'}; showing the reading of ${Math.round((now() - prev.readAt) / 1000)} s ago` };
  };
  await runBounded(miners, options.concurrency, async (m) => {
    const before = m.reading?.state;
    let reading: MinerReading;
    let missedNow = false;
    if (!m.driver) {
      reading = unreadReading(m, 'offline', 'firmware not detected: no miner API answered', now());
    } else if (m.busy) {
      skippedBusy++;
      missedNow = true;
      reading = lastOr(m, unreadReading(m, 'offline', 'previous read still running', now()));
    } else {
      m.busy = true;
      const read = m.driver.read().finally(() => {
        m.busy = false;
      });
      reading = await withDeadline(read, options.timeoutMs, () => {
        timedOut++;
        missedNow = true;
        return lastOr(m, unreadReading(m, 'offline', `no answer within ${options.timeoutMs} ms`, now()));
      });
      if (reading.state === 'offline' || reading.state === 'error') {
        log.debug({ minerId: m.id, state: reading.state, error: reading.error }, 'miner not readable');
      }
    }
    reading = { ...reading, id: m.id };
    // Said once when it starts: a partial reading and failing controls until an operator gives the login.
    if (reading.login && !m.reading?.login) {
      log.warn({ minerId: m.id, firmware: reading.login.firmware, user: reading.login.username, problem: reading.login.problem }, 'miner login missing or refused');
    }
    m.missed = missedNow;
    m.reading = reading;
    if (reading.state === 'hashing' && reading.powerW !== null && reading.powerW > 0) {
      m.lastHashing = { w: reading.powerW, jth: reading.efficiencyJth, at: reading.readAt };
    }
    if (before !== undefined && before !== reading.state) changed.push(reading);
  });
  return { readings: miners.map((m) => m.reading!).filter(Boolean), changed, timedOut, skippedBusy, carried };
}
