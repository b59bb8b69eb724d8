import type { Logger } from '../../shared/log/logger.js';
import { EXPECT } from '../drivers/miners/confirm-action.js';
import type { ActionResult, MinerDriver } from '../drivers/miners/miner-driver.js';
import type { ManagedMiner } from '../poll/managed-miner.js';
import { runBounded } from '../poll/run-bounded.js';
import type { CurtailRepository } from '../store/curtail-repository.js';

/** What a plan step asks the miners to do (curtail-plan.ts decides, this module carries it out). */
export interface MinerOrders {
  sleep: readonly string[];
  wake: readonly string[];
}

export interface MinerActionsOptions {
  repo: CurtailRepository;
  /** Commands in flight at once: the agent's connection concurrency (poll.concurrency). */
  concurrency: number;
  confirmTimeoutMs: number;
  /** Times an unconfirmed or unsent wave command is sent again before the miner is given up on. */
  waveRetries?: number;
  /** A miner did not sleep under the current revision: the planner picks another. */
  onRefused: (minerId: string) => void;
  log: Logger;
  now: () => number;
}

interface Pending {
  sentAt: number;
  deadline: number;
  attempts: number;
}

/** What a sleeping ASIC still draws (control board, idle fans), for what a pausing one has left to shed. */
const SLEEP_W = 60;

const unreachable = (err: Error): ActionResult => ({ ok: false, reason: 'unreachable', message: err.message, elapsedMs: 0 });

/**
 * The two ways of carrying out a plan step (docs/protocol.md, "Priority"):
 *
 * - `ramp` (normal priority, and every wake): the step's miners, each confirmed
 *   by read-back before the step ends; the reconciler pauses between steps.
 *   Slow on purpose: restoring a site at once draws an inrush the feeder may
 *   not carry, and a confirmed step never overshoots.
 * - `wave` (emergency sleeps): every miner of the step is sent its command,
 *   as many at once as the connection concurrency allows, and counted asleep
 *   as soon as it took the command. Nothing waits for a read-back: the
 *   firmware's own pause (~6 s) is the floor, and a read-back loop per miner
 *   would only compete with the commands. The next polls confirm them
 *   (`settle`): a miner not asleep by its deadline gets the command again,
 *   then is handed back to the planner, which picks another.
 */
export function createMinerActions(options: MinerActionsOptions) {
  const { repo, log, now } = options;
  const retries = options.waveRetries ?? 2;
  const pending = new Map<string, Pending>();

  function recordAsleep(m: ManagedMiner, revision: number): void {
    const before = m.reading;
    repo.addCurtailed({
      minerId: m.id,
      previousState: before?.state ?? 'hashing',
      previousPowerTargetW: before?.powerTargetW ?? null,
      expectedKw: (m.lastHashing?.w ?? before?.powerW ?? 0) / 1000,
      sleptAt: now(),
      revision,
    });
  }

  async function wakeOne(m: ManagedMiner | undefined, id: string): Promise<void> {
    pending.delete(id);
    if (!m?.driver) {
      log.warn({ minerId: id }, 'miner to wake is no longer configured; forgetting it');
      repo.removeCurtailed(id);
      return;
    }
    const result = await m.driver.wake({ confirmTimeoutMs: options.confirmTimeoutMs }).catch(unreachable);
    if (result.ok) {
      repo.removeCurtailed(id);
      if (m.reading && result.observedState) m.reading = { ...m.reading, state: result.observedState };
    } else {
      log.warn({ minerId: id, reason: result.reason, message: result.message }, 'miner did not wake; will retry');
    }
  }

  async function send(driver: MinerDriver): Promise<ActionResult> {
    return driver.sleep({ confirmTimeoutMs: options.confirmTimeoutMs, sendOnly: true }).catch(unreachable);
  }

  /** Normal pace: every miner of the step confirmed by read-back (or refused) before this resolves. */
  async function ramp(orders: MinerOrders, miners: readonly ManagedMiner[], revision: number): Promise<void> {
    const byId = new Map(miners.map((m) => [m.id, m]));
    const work = [...orders.sleep.map((id) => ({ id, sleep: true })), ...orders.wake.map((id) => ({ id, sleep: false }))];
    await runBounded(work, options.concurrency, async ({ id, sleep }) => {
      const m = byId.get(id);
      if (!sleep) return wakeOne(m, id);
      if (!m?.driver) return;
      const result = await m.driver.sleep({ confirmTimeoutMs: options.confirmTimeoutMs }).catch(unreachable);
      // A timeout means it started pausing but had not finished by the deadline (a loaded
      // gateway): it will sleep, so it is recorded and woken on release like the others.
      if (result.ok || result.observedState === 'sleeping' || result.reason === 'timeout') {
        recordAsleep(m, revision);
        if (m.reading) m.reading = { ...m.reading, state: 'sleeping', powerW: result.observedPowerW ?? m.reading.powerW, hashrateThs: 0 };
      } else {
        options.onRefused(id);
        log.warn({ minerId: id, reason: result.reason, message: result.message }, 'miner did not sleep; picking another');
      }
    });
  }

  return {
    ramp,

    /** Emergency: send every sleep at once (bounded by concurrency), confirm later in `settle`. Wakes still ramp. */
    async wave(orders: MinerOrders, miners: readonly ManagedMiner[], revision: number): Promise<void> {
      const byId = new Map(miners.map((m) => [m.id, m]));
      await runBounded(orders.sleep, options.concurrency, async (id) => {
        const m = byId.get(id);
        if (!m?.driver) return;
        const result = await send(m.driver);
        const t = now();
        if (result.ok) {
          recordAsleep(m, revision);
          pending.set(id, { sentAt: t, deadline: t + options.confirmTimeoutMs, attempts: 1 });
        } else if (result.reason === 'timeout' || result.reason === 'unreachable') {
          // No answer is not a refusal (the command may have landed): counted commanded, sent again on the next poll.
          recordAsleep(m, revision);
          pending.set(id, { sentAt: t, deadline: t, attempts: 1 });
          log.warn({ minerId: id, reason: result.reason, message: result.message }, 'sleep command not answered; sending again on the next poll');
        } else {
          options.onRefused(id);
          log.warn({ minerId: id, reason: result.reason, message: result.message }, 'miner refused the sleep command; picking another');
        }
      });
      if (orders.wake.length > 0) await ramp({ sleep: [], wake: orders.wake }, miners, revision);
    },

    /**
     * Confirms wave commands from the poll's readings (read after the command:
     * asleep by state and draw, as a read-back would require). Past its deadline
     * a miner is sent the command again, then given up: taken off the agent's
     * list so the planner picks another.
     */
    async settle(miners: readonly ManagedMiner[]): Promise<{ confirmed: number; retried: number; gaveUp: number }> {
      let confirmed = 0;
      const retry: ManagedMiner[] = [];
      let gaveUp = 0;
      const t = now();
      for (const m of miners) {
        const p = pending.get(m.id);
        if (!p) continue;
        const r = m.reading;
        const fresh = r !== undefined && r.readAt >= p.sentAt;
        if (fresh && EXPECT.sleep.reached(r)) {
          pending.delete(m.id);
          confirmed++;
        } else if (t >= p.deadline) {
          if (p.attempts <= retries && m.driver) {
            retry.push(m);
          } else if (!fresh && p.deadline > p.sentAt) {
            // Not read since the command (reads missed under load): no evidence either way, wait for one.
            p.deadline = t + options.confirmTimeoutMs;
          } else if (r?.state === 'sleeping') {
            // Asleep by state, its draw still above the sleep level: the agent keeps it (it must wake it later).
            pending.delete(m.id);
            log.warn({ minerId: m.id, powerW: r.powerW }, 'miner sleeping but its draw not yet at the sleep level; keeping it');
          } else {
            pending.delete(m.id);
            repo.removeCurtailed(m.id);
            options.onRefused(m.id);
            gaveUp++;
            log.warn({ minerId: m.id, state: r?.state, powerW: r?.powerW, attempts: p.attempts }, 'miner not asleep after the emergency command; picking another');
          }
        }
      }
      for (const id of pending.keys()) if (!miners.some((m) => m.id === id)) pending.delete(id);
      await runBounded(retry, options.concurrency, async (m) => {
        const p = pending.get(m.id)!;
        const result = await send(m.driver!);
        const sentAt = now();
        if (result.ok) pending.set(m.id, { sentAt, deadline: sentAt + options.confirmTimeoutMs, attempts: p.attempts + 1 });
        else pending.set(m.id, { ...p, attempts: p.attempts + 1, deadline: sentAt });
      });
      if (confirmed + retry.length + gaveUp > 0) log.info({ confirmed, retried: retry.length, gaveUp, unconfirmed: pending.size }, 'emergency wave confirmation');
      return { confirmed, retried: retry.length, gaveUp };
    },

    /** Wave commands not yet confirmed by a reading. */
    unconfirmed: (): number => pending.size,
    /**
     * kW the unconfirmed miners will still take off the meter (a cap must not
     * count them twice): a miner read since its command, with a reported draw,
     * by that draw less what it will draw asleep; otherwise its whole last
     * hashing draw.
     */
    unconfirmedKw(miners: readonly ManagedMiner[]): number {
      if (pending.size === 0) return 0;
      const expected = new Map(repo.curtailed().map((c) => [c.minerId, c.expectedKw]));
      let kw = 0;
      for (const m of miners) {
        const p = pending.get(m.id);
        if (!p) continue;
        const r = m.reading;
        const fresh = r && r.readAt >= p.sentAt && r.powerSource === 'reported' && r.powerW !== null;
        kw += fresh ? Math.max(0, (r.powerW! - SLEEP_W) / 1000) : (expected.get(m.id) ?? 0);
      }
      return kw;
    },
    forget(): void {
      pending.clear();
    },
  };
}
export type MinerActions = ReturnType<typeof createMinerActions>;
