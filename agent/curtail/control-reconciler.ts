import type { Logger } from '../../shared/log/logger.js';
import { ControlSchema, type Control, type ControlReport, type DecodeResult } from '../../shared/protocol/index.js';
import type { CurtailmentConfig } from '../config/agent-config.js';
import type { ManagedMiner } from '../poll/managed-miner.js';
import type { CurtailRepository } from '../store/curtail-repository.js';
import { evaluateControl, type TrustedKey } from './control-intake.js';
import { planStep, type Candidate, type Plan, type Target } from './curtail-plan.js';
import { edgesOf, inForce, stepAt } from './control-steps.js';
import { createMinerActions } from './miner-actions.js';
import { controlEnd } from '../../shared/protocol/index.js';
import type { PowerTargetActions } from './power-target-actions.js';
import type { PtPlan } from './power-target-plan.js';

export type ReportBody = Omit<ControlReport, 'v' | 'site' | 'agent' | 'ts'>;

export interface Measurement {
  /** Cycle start of the poll the numbers come from. */
  ts: number;
  meterKw: number | null;
  minerKw: number;
}

export interface ReconcilerOptions {
  repo: CurtailRepository;
  keys: readonly TrustedKey[];
  config: CurtailmentConfig;
  miners: () => readonly ManagedMiner[];
  /** Miner commands in flight at once (the agent's poll.concurrency). */
  concurrency?: number;
  measurement: () => Measurement | undefined;
  report: (body: ReportBody) => void;
  log: Logger;
  now: () => number;
  /** Carries out `level: power_target` (power-target-actions.ts); without it the agent acts by sleep only. */
  powerTargets?: PowerTargetActions;
}

export interface ReconcilerStatus {
  revision: number | null;
  mode: Control['mode'] | null;
  validUntil: number | null;
  status: string;
  minersAsleep: number;
  minersTargeted: number;
  targetKw: number | null;
}

/**
 * Carries out the retained `control` (a desired state, not a command queue):
 * takes or refuses each received revision, then on every poll steps towards
 * the target, replacing a miner that ignores the command. Normal priority
 * ramps in confirmed batches; emergency sleeps go out in one wave
 * (miner-actions.ts). State that must survive a restart lives in the
 * repository; the decisions themselves are in curtail-plan.ts.
 */
export function createControlReconciler(options: ReconcilerOptions) {
  const { repo, config, log, now } = options;
  let control: Control | undefined;
  let status = 'idle';
  let lastReportKey = '';
  let busy: Promise<void> | undefined;
  let stopped = false;
  let nextActionAt = 0;
  let lastActionEndAt = 0;
  let targetKw: number | null = null;
  let refused = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const never = new Set(config.neverCurtail);
  const actions = createMinerActions({
    repo,
    concurrency: options.concurrency ?? 64,
    confirmTimeoutMs: config.confirmTimeoutMs,
    onRefused: (id) => refused.add(id),
    log,
    now,
  });

  function load(): void {
    const stored = repo.control();
    if (!stored) return;
    const parsed = ControlSchema.safeParse(JSON.parse(stored.raw));
    if (parsed.success) {
      control = parsed.data;
      scheduleEdges(control);
      log.info({ revision: control.revision, mode: control.mode, curtailed: repo.curtailed().length }, 'resuming accepted control');
    } else {
      log.error({ revision: stored.revision }, 'stored control no longer parses; ignoring it');
    }
  }

  function scheduleEdges(c: Control): void {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const at of edgesOf(c)) {
      const delay = at - now();
      if (delay > 0 && delay < 2 ** 31 - 1) {
        const t = setTimeout(() => {
          timers.delete(t);
          void tick();
        }, delay + 5);
        timers.add(t);
      }
    }
  }

  function send(body: ReportBody, dedupe = true): void {
    const key = `${body.revision}:${body.status}:${body.reason ?? ''}`;
    if (dedupe && key === lastReportKey) return;
    lastReportKey = key;
    options.report(body);
  }

  function measuredKw(m: Measurement | undefined): number | null {
    if (!m) return null;
    return m.meterKw ?? (m.minerKw > 0 ? m.minerKw : null);
  }

  function handleControl(result: DecodeResult, bytes: Uint8Array | string): void {
    const intake = evaluateControl(result, bytes, { keys: options.keys, currentRevision: control?.revision ?? null, now: now() });
    if (intake.verdict === 'same') return;
    if (intake.verdict === 'reject') {
      log.warn({ revision: intake.revision, reason: intake.reason, detail: intake.detail }, 'control refused');
      // No `received` first: the verdict follows at once and implies it (docs/protocol.md, "Control reports").
      send({ revision: intake.revision, status: 'rejected', reason: intake.reason, detail: intake.detail }, false);
      return;
    }
    const c = intake.control;
    if (c.level !== 'sleep' && !options.powerTargets) {
      send({ revision: c.revision, status: 'rejected', reason: 'invalid', detail: `level ${c.level} is not supported by this agent (sleep only)` }, false);
      return;
    }
    const m = options.measurement();
    const asleepKw = repo.curtailed().reduce((s, x) => s + x.expectedKw, 0) + (options.powerTargets?.savedKw() ?? 0);
    const measured = measuredKw(m);
    const baselineKw = measured === null ? null : measured + asleepKw;
    repo.saveControl({ raw: JSON.stringify(intake.raw), revision: c.revision, acceptedAt: now(), baselineKw, phase: now() < c.validFrom ? 'pending' : 'active' });
    control = c;
    refused = new Set();
    options.powerTargets?.newRevision();
    nextActionAt = 0;
    status = 'accepted';
    scheduleEdges(c);
    log.info({ revision: c.revision, mode: c.mode, value: c.value, priority: c.priority }, 'control accepted');
    send({ revision: c.revision, status: 'accepted' }, false);
    void tick();
  }

  function targetOf(c: Control | undefined, t: number): { target: Target; why: string; priority: Control['priority'] } {
    const at = stepAt(c, t);
    if (at.kind === 'none') return { target: { kind: 'none' }, why: at.why === 'gap' ? 'pending' : at.why, priority: 'normal' };
    const { mode, value, priority } = at.ask;
    switch (mode) {
      case 'full':
        return { target: { kind: 'all' }, why: 'active', priority };
      case 'sleep_count':
        return { target: { kind: 'count', count: Math.floor(value ?? 0) }, why: 'active', priority };
      case 'max_kw':
        return { target: { kind: 'cap', capKw: value ?? 0 }, why: 'active', priority };
      case 'shed_kw': {
        const baseline = repo.control()?.baselineKw;
        if (baseline == null) return { target: { kind: 'cap', capKw: NaN }, why: 'no_baseline', priority };
        return { target: { kind: 'cap', capKw: Math.max(0, baseline - (value ?? 0)) }, why: 'active', priority };
      }
    }
  }

  function candidates(miners: readonly ManagedMiner[]): Candidate[] {
    const slept = new Map(repo.curtailed().map((x) => [x.minerId, x]));
    return miners.map((m) => {
      const mine = slept.get(m.id);
      const caps = m.driver?.capabilities();
      return {
        id: m.id,
        // A miner whose last read got no answer shows its last state in the counts, but is not commanded now.
        state: m.missed ? 'offline' : (m.reading?.state ?? 'offline'),
        expectedKw: mine ? mine.expectedKw : (m.lastHashing?.w ?? m.reading?.powerW ?? 0) / 1000,
        jth: m.lastHashing?.jth ?? m.reading?.efficiencyJth ?? null,
        group: m.group,
        sleepCapable: caps?.sleep === true,
        asleepByAgent: mine !== undefined,
        ...(mine ? { sleptAt: mine.sleptAt } : {}),
        neverCurtail: never.has(m.id),
        refusedSleep: refused.has(m.id),
      };
    });
  }

  async function step(): Promise<void> {
    const t = now();
    const { target, why, priority } = targetOf(control, t);
    const revision = control?.revision ?? 0;
    const m = options.measurement();
    // After acting, decide again only on a poll that started afterwards.
    if (lastActionEndAt > 0 && (!m || m.ts < lastActionEndAt)) return;
    if (t < nextActionAt) return;
    const miners = options.miners();
    if (actions.unconfirmed() > 0) await actions.settle(miners);
    const metered = measuredKw(m);
    // Miners of an emergency wave still in their pause draw on the meter: count what they will save, or a cap would sleep more.
    const measured = metered === null ? null : Math.max(0, metered - actions.unconfirmedKw(miners));
    if (target.kind === 'cap' && Number.isNaN(target.capKw)) {
      status = 'failed';
      send({ revision, status: 'failed', reason: 'no_measurement', detail: 'no baseline power was measured when the shed_kw control arrived' });
      return;
    }
    const emergency = priority === 'emergency';
    const pt = options.powerTargets;
    const settings = {
      strategy: control?.strategy ?? config.strategy,
      batchSize: config.batchSize,
      minSleepS: config.minSleepS,
      emergency,
      hysteresisKw: config.maxKwHysteresisKw,
      tolerance: config.tolerance,
      now: t,
    };
    // Power targets for the kW modes; sleep otherwise and on emergency, where sleep is faster (power-target-plan.ts).
    const plan: Plan & Partial<PtPlan> =
      pt && control?.level === 'power_target' && target.kind === 'cap' && !emergency
        ? pt.plan(target.capKw, miners, measured, refused, settings)
        : planStep(target, candidates(miners), measured, settings);
    if (pt && target.kind === 'none') {
      plan.restore = pt.restoreBatch(miners, config.batchSize);
      if (plan.restore.length > 0 && plan.status === 'released') plan.status = 'ramping';
    }
    const retargets = (plan.setTarget?.length ?? 0) + (plan.restore?.length ?? 0);
    targetKw = plan.targetKw ?? null;
    // Wave commands still unconfirmed: commanded, counted by the plan, not yet shown asleep.
    const unconfirmed = actions.unconfirmed();
    const asleepBefore = repo.curtailed().length - unconfirmed;
    if (plan.status === 'holding' && unconfirmed > 0 && plan.sleep.length + plan.wake.length === 0) plan.status = 'ramping';
    if (control && (why !== 'pending' || asleepBefore > 0)) {
      if (plan.status === 'ramping') send({ revision, status: 'ramping', minersAsleep: asleepBefore, ...targeted(), achievedKw: metered, targetKw });
      if (plan.status === 'failed') send({ revision, status: 'failed', reason: plan.reason ?? 'internal', ...(plan.detail ? { detail: plan.detail } : {}), achievedKw: metered, minersAsleep: asleepBefore });
    }
    status = why === 'active' ? plan.status : plan.status === 'released' ? 'released' : why;
    if (plan.sleep.length + plan.wake.length + retargets > 0) {
      const wave = emergency && plan.sleep.length > 0;
      log.info({ revision, sleep: plan.sleep.length, wake: plan.wake.length, retarget: plan.setTarget?.length, restore: plan.restore?.length, status: plan.status, wave }, 'curtailment batch');
      if (wave) {
        await actions.wave(plan, miners, revision);
        // No pause: what is left (refusals, replacements) goes out on the next poll.
        lastActionEndAt = now();
        nextActionAt = lastActionEndAt;
        return;
      }
      const [, applied] = await Promise.all([actions.ramp(plan, miners, revision), pt?.apply({ setTarget: plan.setTarget ?? [], restore: plan.restore ?? [] }, miners, revision)]);
      lastActionEndAt = now();
      const pauseS = control && control.rampSeconds > 0 ? Math.min(control.rampSeconds, config.batchPauseS || control.rampSeconds) : config.batchPauseS;
      nextActionAt = lastActionEndAt + Math.max(pauseS, applied?.restarted ? config.powerTargetSettleS : 0) * 1000;
      return;
    }
    if (!control) return;
    if (plan.status === 'holding' && why === 'active') {
      send({ revision, status: 'holding', achievedKw: metered, minersAsleep: asleepBefore, ...targeted(), targetKw });
    } else if (plan.status === 'released' && why !== 'pending') {
      repo.setPhase('released');
      send({ revision, status: 'released', achievedKw: metered, minersAsleep: 0 });
    }
  }

  function targeted(): { minersTargeted?: number } {
    return options.powerTargets ? { minersTargeted: options.powerTargets.count() } : {};
  }

  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (busy) return busy;
    busy = step()
      .catch((err: Error) => log.error({ err }, 'reconciler step failed'))
      .finally(() => {
        busy = undefined;
      });
    return busy;
  }

  return {
    start: load,
    handleControl,
    /** Called after every poll: the reconciler steps on fresh measurements. */
    tick,
    async stop(): Promise<void> {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await busy;
    },
    revisionInForce(): number | null {
      return control && inForce(control, now()) ? control.revision : null;
    },
    curtailedIds: (): Set<string> => new Set(repo.curtailed().map((x) => x.minerId)),
    status(): ReconcilerStatus {
      return {
        revision: control?.revision ?? null,
        mode: control?.mode ?? null,
        validUntil: control ? controlEnd(control) : null,
        status,
        minersAsleep: repo.curtailed().length - actions.unconfirmed(),
        minersTargeted: options.powerTargets?.count() ?? 0,
        targetKw,
      };
    },
  };
}
export type ControlReconciler = ReturnType<typeof createControlReconciler>;
