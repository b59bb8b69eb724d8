import type { Logger } from '../../shared/log/logger.js';
import type { ActionResult } from '../drivers/miners/miner-driver.js';
import type { ManagedMiner } from '../poll/managed-miner.js';
import type { CurtailRepository } from '../store/curtail-repository.js';
import type { PowerTargetRepository } from '../store/power-target-repository.js';
import { planPowerTargetStep, planRestore, type PtCandidate, type PtPlan, type PtSettings } from './power-target-plan.js';

export interface PowerTargetActionsOptions {
  repo: PowerTargetRepository;
  curtailRepo: CurtailRepository;
  neverCurtail: ReadonlySet<string>;
  confirmTimeoutMs: number;
  log: Logger;
  now: () => number;
}

/**
 * The I/O around power-target-plan.ts: builds its candidates from the polled
 * miners and the agent's own records, and carries out retargets and restores,
 * each confirmed by reading the miner back (the driver's setPowerTarget). The
 * original target is written down before the command goes out.
 */
export function createPowerTargetActions(options: PowerTargetActionsOptions) {
  const { repo, curtailRepo, log, now } = options;
  /** Miners that did not take a power target under the current revision: the plan leaves them at full or sleeps them. */
  let refused = new Set<string>();

  function candidates(miners: readonly ManagedMiner[], refusedSleep: ReadonlySet<string>): PtCandidate[] {
    const rows = new Map(repo.retargeted().map((r) => [r.minerId, r]));
    const asleep = new Map(curtailRepo.curtailed().map((x) => [x.minerId, x]));
    const out: PtCandidate[] = [];
    for (const m of miners) {
      if (options.neverCurtail.has(m.id) || !m.driver) continue;
      const row = rows.get(m.id);
      const slept = asleep.get(m.id);
      const state = m.reading?.state ?? 'offline';
      if (!row && !slept && state !== 'hashing' && state !== 'idle') continue;
      const caps = m.driver.capabilities();
      const w = row ? row.fullW : slept ? slept.expectedKw * 1000 : (m.lastHashing?.w ?? m.reading?.powerW ?? 0);
      const ths = row?.fullThs ?? thsOf(m, w);
      out.push({
        id: m.id,
        state,
        model: m.reading?.model ?? 'unknown',
        fullW: w,
        fullThs: ths,
        targetable: caps.powerTarget !== false && !refused.has(m.id),
        ...(caps.powerTarget && caps.powerTarget.minW !== undefined ? { minW: caps.powerTarget.minW } : {}),
        sleepable: caps.sleep && !refusedSleep.has(m.id),
        current: slept ? { kind: 'sleep' } : row ? { kind: 'target', w: row.targetW } : { kind: 'full' },
        ...(slept ? { sleptAt: slept.sleptAt } : {}),
      });
    }
    return out;
  }

  async function retarget(m: ManagedMiner, w: number, full: { w: number; ths: number }, revision: number): Promise<void> {
    const before = repo.retargeted().find((r) => r.minerId === m.id);
    repo.record({
      minerId: m.id,
      originalTargetW: before ? before.originalTargetW : (m.reading?.powerTargetW ?? null),
      fullW: before?.fullW ?? full.w,
      fullThs: before?.fullThs ?? full.ths,
      targetW: w,
      setAt: now(),
      revision,
    });
    const result = await command(m, w);
    if (result.ok) {
      if (m.reading) m.reading = { ...m.reading, powerW: result.observedPowerW ?? m.reading.powerW, powerTargetW: w };
      return;
    }
    refused.add(m.id);
    // A miner that never started on it keeps its old target: forget a first change, keep the last good one otherwise.
    if (result.reason !== 'timeout') {
      if (before) repo.record(before);
      else repo.forget(m.id);
    }
    log.warn({ minerId: m.id, watts: w, reason: result.reason, message: result.message }, 'miner did not take the power target; planning without it');
  }

  async function restore(m: ManagedMiner): Promise<void> {
    const row = repo.retargeted().find((r) => r.minerId === m.id);
    if (!row) return;
    const w = Math.round(row.originalTargetW ?? row.fullW);
    const result = await command(m, w);
    if (result.ok) {
      repo.forget(m.id);
      if (m.reading) m.reading = { ...m.reading, powerTargetW: w };
    } else {
      log.warn({ minerId: m.id, watts: w, reason: result.reason, message: result.message }, 'miner did not return to its original power target; will retry');
    }
  }

  function command(m: ManagedMiner, w: number): Promise<ActionResult> {
    if (!m.driver) return Promise.resolve({ ok: false, reason: 'unreachable', message: 'no driver', elapsedMs: 0 });
    return m.driver
      .setPowerTarget(w, { confirmTimeoutMs: options.confirmTimeoutMs })
      .catch((err: Error) => ({ ok: false as const, reason: 'unreachable' as const, message: err.message, elapsedMs: 0 }));
  }

  return {
    candidates,
    plan(capKw: number, miners: readonly ManagedMiner[], measuredKw: number | null, refusedSleep: ReadonlySet<string>, s: PtSettings): PtPlan {
      return planPowerTargetStep(capKw, candidates(miners, refusedSleep), measuredKw, s);
    },
    /** Retargeted miners to restore next (release). */
    restoreBatch(miners: readonly ManagedMiner[], batchSize: number): string[] {
      if (repo.retargeted().length === 0) return [];
      return planRestore(candidates(miners, new Set()), batchSize);
    },
    /**
     * Carries out the plan's retargets and restores (sleeps and wakes are the
     * reconciler's). Returns whether a miner that restarts mining on a new target
     * (Braiins OS) was changed: its read-back confirms before its power settles.
     */
    async apply(plan: Pick<PtPlan, 'setTarget' | 'restore'>, miners: readonly ManagedMiner[], revision: number): Promise<{ restarted: boolean }> {
      const byId = new Map(miners.map((m) => [m.id, m]));
      const restarted = [...plan.setTarget.map((t) => t.id), ...plan.restore].some((id) => RESTARTS_ON_RETARGET.has(byId.get(id)?.driver?.firmware ?? ''));
      const full = new Map(candidates(miners, new Set()).map((c) => [c.id, { w: c.fullW, ths: c.fullThs }]));
      await Promise.all([
        ...plan.setTarget.map(async ({ id, w }) => {
          const m = byId.get(id);
          if (m) await retarget(m, w, full.get(id) ?? { w: m.lastHashing?.w ?? 0, ths: 0 }, revision);
        }),
        ...plan.restore.map(async (id) => {
          const m = byId.get(id);
          if (m) await restore(m);
          else repo.forget(id);
        }),
      ]);
      return { restarted };
    },
    count: (): number => repo.retargeted().length,
    /** kW the lowered targets save against the miners' full draw (part of a shed_kw baseline). */
    savedKw: (): number => repo.retargeted().reduce((s, r) => s + Math.max(0, r.fullW - r.targetW), 0) / 1000,
    /** A new revision: miners that refused a target may take one now. */
    newRevision(): void {
      refused = new Set();
    },
  };
}
export type PowerTargetActions = ReturnType<typeof createPowerTargetActions>;

/** Firmwares that restart their mining process on a power-target change (Braiins OS: hashing stops, then ramps back). */
const RESTARTS_ON_RETARGET: ReadonlySet<string> = new Set(['braiins']);

/** Hashrate at full power: from its last hashing reading (W / J/TH), else what it reads now. */
function thsOf(m: ManagedMiner, w: number): number {
  const jth = m.lastHashing?.jth;
  if (jth && jth > 0 && w > 0) return w / jth;
  return m.reading?.hashrateThs ?? 0;
}
