import type { Logger } from '../../shared/log/logger.js';
import type { MinerReading } from '../drivers/miners/miner-driver.js';
import type { ManagedMiner } from './managed-miner.js';
import { unreadReading } from './offline-reading.js';
import { runBounded, withDeadline } from './run-bounded.js';

export interface PollCycleOptions {
  concurrency: number;
  timeoutMs: number;
  now: () => number;
  log: Logger;
}

export interface PollCycleResult {
  readings: MinerReading[];
  /** Miners whose state differs from the previous reading. */
  changed: MinerReading[];
  timedOut: number;
  skippedBusy: number;
}

/**
 * Reads every miner once with bounded concurrency and a deadline each. A hung
 * miner costs only its own reading: it is reported offline and, while its
 * read is still running, skipped by later cycles rather than read twice.
 */
export async function pollCycle(miners: readonly ManagedMiner[], options: PollCycleOptions): Promise<PollCycleResult> {
  const { now, log } = options;
  let timedOut = 0;
  let skippedBusy = 0;
  const changed: MinerReading[] = [];
  await runBounded(miners, options.concurrency, async (m) => {
    const before = m.reading?.state;
    let reading: MinerReading;
    if (!m.driver) {
      reading = unreadReading(m, 'offline', 'firmware not detected: no miner API answered', now());
    } else if (m.busy) {
      skippedBusy++;
      reading = unreadReading(m, 'offline', 'previous read still running', now());
    } else {
      m.busy = true;
      const read = m.driver.read().finally(() => {
        m.busy = false;
      });
      reading = await withDeadline(read, options.timeoutMs, () => {
        timedOut++;
        return unreadReading(m, 'offline', `no answer within ${options.timeoutMs} ms`, now());
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
    m.reading = reading;
    if (reading.state === 'hashing' && reading.powerW !== null && reading.powerW > 0) {
      m.lastHashing = { w: reading.powerW, jth: reading.efficiencyJth, at: reading.readAt };
    }
    if (before !== undefined && before !== reading.state) changed.push(reading);
  });
  return { readings: miners.map((m) => m.reading!).filter(Boolean), changed, timedOut, skippedBusy };
}
