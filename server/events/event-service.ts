import { randomUUID, type KeyObject } from 'node:crypto';
import type { ControlReport } from '../../shared/protocol/index.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import type { CollectorConfig } from '../config/collector-config.js';
import type { LiveState, SiteView } from '../live/live-state.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { ControlToSave, EventRow, EventSource, StoredReportOfTarget, TargetChange, TargetRow, TargetState } from '../store/event-repository.js';
import type { StorePort, StoreRepositories } from '../store/store-port.js';
import type { LeaderTerm } from '../cluster/leader-lease.js';
import { judgeTarget, machinesAsleep } from '../compliance/target-confirmation.js';
import type { ControlChannel } from './control-channel.js';
import { buildSignedControls, storedControlJson } from './control-publisher.js';
import { createControlSender } from './control-sender.js';
import { effectiveControl, sameControl, type EffectiveControl, type SiteWish } from './effective-control.js';
import { planEvent, type Plan, type PlanSite } from './event-planner.js';
import { announcedLevels } from './control-level.js';
import { expectedSavingsKw } from './expected-savings.js';
import type { EventRequest } from './event-spec.js';
import { oneAtATime } from '../../shared/async/one-at-a-time.js';

export interface EventDetail extends EventRow {
  achievedKw: number;
  targets: Array<TargetRow & { currentKw: number | null; asleep: number | null; currentThs: number | null }>;
  counts: Record<TargetState, number>;
  /** sleep_count: machines asked, planned over the sites, short, and asleep now (null once the event ended). */
  machines: { requested: number; planned: number; shortfall: number; asleep: number | null } | null;
}

export interface EventServiceOptions {
  store: StorePort;
  live: LiveState;
  /** Where signed controls go (the MQTT broker in the collector). */
  channel: ControlChannel;
  keys: { privateKey: KeyObject; publicKey: KeyObject };
  config: CollectorConfig['events'];
  log: Logger;
  clock: () => number;
  metrics: CollectorMetrics;
  /** An event's progress changed (throttled by the caller). */
  notify(eventId: string): void;
}

const FROM_REPORT: Partial<Record<ControlReport['status'], TargetState>> = {
  accepted: 'accepted', ramping: 'accepted', holding: 'holding', rejected: 'failed', failed: 'failed', released: 'released',
};
/** Every 10 ticks (10 s by default) the leader looks for stored reports whose targets never moved. */
const REPAIR_EVERY_TICKS = 10;
const ORDER: Record<TargetState, number> = { pending: 0, sent: 1, accepted: 2, holding: 3, confirmed: 4, failed: 5, released: 6 };

/** A stored control to put on the broker. */
interface ToPublish {
  siteId: number;
  site: string;
  revision: number;
  payload: Record<string, unknown>;
}

/**
 * Curtailment events: planning, merging per site into one signed, revisioned,
 * retained control, and following each site target from the agents' reports and
 * from measured telemetry.
 */
export function createEventService(options: EventServiceOptions) {
  const { store, live, channel, keys, config, clock, metrics } = options;
  const log = options.log.child({ component: 'events' });
  let timer: NodeJS.Timeout | undefined;
  /** Sites whose effective control must be recomputed; worked off in chunks so controls start flowing at once. */
  const queue = new Set<number>();
  let draining: Promise<void> | undefined;

  /**
   * The event state changes (reconcile, reports, confirmations, status) run one at a
   * time, each in its own transaction, as they did when the store was synchronous: a
   * change reads targets and writes them back, and two at once would lose one's write.
   */
  const changes = oneAtATime();
  const oneChange = <T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T> => changes.run(() => store.transaction(fn));
  const sender = createControlSender({ channel, metrics, log, clock, recordPublished: (batch) => oneChange((tx) => tx.events.markPublishedMany(batch)) });

  /** The leadership term this collector acts under; undefined while another collector leads. */
  let term: LeaderTerm | undefined;
  /** Events that ended since this time may have left controls to recompute (the tick looks). */
  let endedSince = 0;

  /** Only the leader signs and publishes; elsewhere the change is in the store, and the leader's tick finds it. */
  function enqueue(siteIds: Iterable<number>): void {
    if (!term) return;
    for (const id of siteIds) queue.add(id);
    draining ??= drain().finally(() => { draining = undefined; });
  }

  /** Works the queue off in chunks of 100 sites, one transaction each, so controls start flowing at once. */
  async function drain(): Promise<void> {
    while (queue.size) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // a turn of the event loop between chunks: reports and acks flow meanwhile
      const leading = term;
      if (!leading) {
        queue.clear(); // the next leader finds this work in the store
        return;
      }
      const ids = [...queue].slice(0, 100);
      for (const id of ids) queue.delete(id);
      const now = clock();
      let out: ToPublish[] = [];
      try {
        out = await oneChange((tx) => reconcileSites(tx, ids, now, leading));
      } catch (err) {
        log.error({ err }, 'control reconcile failed; retried on the next tick');
      }
      // After the commit: a control the broker has is always one the store has. A term that
      // ended meanwhile publishes nothing (its revisions stay unpublished; the next leader's tick sends them).
      if (term !== leading) continue;
      for (const p of out) sender.send(p.siteId, p.site, p.revision, p.payload);
    }
  }

  /** Sites as the planner sees them; per-miner savings only for machine-count and full events (kW events never use them). */
  async function planSites(now: number, kind: EventRequest['kind'], views?: Map<number, SiteView>): Promise<PlanSite[]> {
    const perMiner = kind === 'sleep_count' || kind === 'full';
    const out: PlanSite[] = [];
    for (const s of await store.sites.list()) {
      const v = live.view(s.id, now);
      views?.set(s.id, v);
      const site: PlanSite = { siteId: s.id, site: s.site, region: s.region, registered: s.registered, tier: s.tier, kw: v.kw, hashing: v.counts.hashing };
      if (perMiner && v.counts.hashing > 0) site.savingsKw = expectedSavingsKw((await store.telemetry.miners(s.id, Number.MAX_SAFE_INTEGER, 0)).miners);
      out.push(site);
    }
    return out;
  }

  function startOf(req: EventRequest, now: number): number {
    if (req.start === undefined) return now;
    return typeof req.start === 'number' ? req.start : Date.parse(req.start);
  }

  async function wishesOf(tx: StoreRepositories, targets: TargetRow[], events: Map<string, EventRow | undefined>): Promise<SiteWish[]> {
    for (const t of targets) if (!events.has(t.eventId)) events.set(t.eventId, await tx.events.get(t.eventId));
    return targets.flatMap((t) => {
      const e = events.get(t.eventId);
      if (!e) return [];
      return [{ eventId: e.id, priority: e.priority, mode: t.mode, value: t.value, targetKw: t.targetKw ?? 0, startTs: e.startTs, endTs: e.endTs, reason: e.reason || e.kind, level: e.level }];
    });
  }

  /**
   * Recomputes the effective control of these sites (call inside a transaction); a
   * changed one is signed under a new revision and stored, its targets marked sent.
   * Returns what to publish once committed: new controls and stored ones the broker
   * never acknowledged. Reads are one query per chunk, not per site.
   */
  async function reconcileSites(tx: StoreRepositories, siteIds: readonly number[], now: number, leading: LeaderTerm): Promise<ToPublish[]> {
    const events = new Map<string, EventRow | undefined>(); // one read of each event per chunk, not per site
    const targetsBySite = await tx.events.liveTargetsOfSites(siteIds);
    const savedBySite = await tx.events.controlsOfSites(siteIds);
    const out: ToPublish[] = [];
    const changed: Array<{ siteId: number; site: string; desired: EffectiveControl; targets: TargetRow[] }> = [];
    const siteKey = async (siteId: number, targets: TargetRow[]) => targets[0]?.site ?? (await tx.sites.getById(siteId))?.site;
    for (const siteId of siteIds) {
      const targets = targetsBySite.get(siteId) ?? [];
      const desired = effectiveControl(await wishesOf(tx, targets, events), now);
      const saved = savedBySite.get(siteId);
      if (saved) {
        const savedEffective = saved.effective as EffectiveControl | undefined;
        if (savedEffective && sameControl(savedEffective, desired)) {
          // The payload comes only with an unpublished control: that one is sent again.
          const unpublished = saved.payload;
          const site = unpublished ? await siteKey(siteId, targets) : undefined;
          if (site && unpublished) out.push({ siteId, site, revision: saved.revision, payload: unpublished() });
          continue;
        }
      } else if (desired.mode === 'none') continue; // nothing was ever asked of this site
      const site = await siteKey(siteId, targets);
      if (site) changed.push({ siteId, site, desired, targets });
    }
    if (changed.length === 0) return out;
    // Fenced: a collector whose term ended is refused here, so it never signs a revision (docs/architecture.md).
    let revision = await tx.events.reserveRevisions(changed.length, leading);
    // The chunk's controls and target changes are written in one statement each, not one per site.
    const controls: ControlToSave[] = [];
    const targetChanges: TargetChange[] = [];
    for (const { siteId, site, desired, targets } of changed) {
      // Births are read only when the level depends on them (sleep events keep the fan-out to one query per chunk).
      const births = desired.level && desired.level !== 'sleep' ? new Map((await tx.agents.listBySite(siteId)).map((a) => [a.id, announcedLevels(a.birth)])) : undefined;
      const agents = live.agents(siteId).map((a) => ({ agent: a.agent, kw: a.meterKw ?? a.minerKw, hashing: a.counts?.hashing ?? 0, levels: births?.get(a.agentId) ?? null }));
      const perAgent = agents.length ? buildSignedControls(site, agents, desired, revision, now, config.rampSeconds, keys) : {};
      const levels = new Set(Object.values(perAgent).map((c) => c.level));
      const level = levels.has('power_target') ? 'power_target' : 'sleep';
      const payload = { effective: desired, perAgent };
      // The signed controls' text is reused, not serialized again (docs/decisions.md: fan-out cost).
      controls.push({ siteId, revision, json: storedControlJson(desired, perAgent) });
      for (const t of targets) {
        if (desired.eventIds.includes(t.eventId) && t.state !== 'failed') targetChanges.push({ eventId: t.eventId, siteId, state: agents.length ? 'sent' : 'pending', revision, ...(agents.length ? { level } : {}) });
      }
      log.debug({ site, revision, mode: desired.mode, value: desired.value, agents: agents.length }, 'control issued');
      if (agents.length) out.push({ siteId, site, revision, payload });
      revision++;
    }
    await tx.events.saveControlsJson(controls);
    await tx.events.updateTargets(targetChanges, now);
    return out;
  }

  /**
   * An event with its targets as the API shows them. `known` are the targets as just
   * stored (create: read back they are the same rows) and `views` the sites' live views
   * of this instant, so a new 1,000-site event is not read back and viewed again.
   */
  async function detail(e: EventRow, now: number, known?: TargetRow[], views?: Map<number, SiteView>): Promise<EventDetail> {
    const counts = Object.fromEntries(Object.keys(ORDER).map((k) => [k, 0])) as Record<TargetState, number>;
    let achieved = 0;
    const liveEvent = e.status === 'active' || e.status === 'scheduled';
    const targets = (known ?? (await store.events.targets(e.id))).map((t) => {
      counts[t.state]++;
      const view = liveEvent ? (views?.get(t.siteId) ?? live.view(t.siteId, now)) : null;
      const currentKw = view ? view.kw : null;
      const measured = currentKw ?? t.achievedKw;
      if (measured !== null && (e.status !== 'scheduled')) achieved += Math.max(0, t.baselineKw - measured);
      const asleep = view && e.status === 'active' ? machinesAsleep(t, view) : null;
      return { ...t, currentKw, asleep, currentThs: view ? view.hashrateThs : null };
    });
    let machines: EventDetail['machines'] = null;
    if (e.kind === 'sleep_count') {
      const requested = e.value ?? 0;
      const planned = targets.reduce((a, t) => a + (t.value ?? 0), 0);
      machines = { requested, planned, shortfall: Math.max(0, requested - planned), asleep: e.status === 'active' ? targets.reduce((a, t) => a + (t.asleep ?? 0), 0) : null };
    }
    return { ...e, achievedKw: Math.round(achieved * 1000) / 1000, targets, counts, machines };
  }

  /** Ends an event (inside its change's transaction); returns the sites whose control must be recomputed. */
  async function finish(tx: StoreRepositories, e: EventRow, status: 'completed' | 'cancelled', now: number): Promise<number[]> {
    await tx.events.setStatus(e.id, status, now);
    const targets = await tx.events.targets(e.id);
    await tx.events.updateTargets(targets.map((t) => ({ eventId: e.id, siteId: t.siteId, state: 'released', achievedKw: live.view(t.siteId, now).kw })), now);
    log.info({ eventId: e.id, status }, 'event ended');
    return targets.map((t) => t.siteId);
  }

  /** Moves targets by agents' reports (one change for the batch): `accepted`, `holding`… of a target's revision. */
  async function applyReports(reports: readonly StoredReportOfTarget[]): Promise<void> {
    const now = clock();
    const touched = new Set<string>();
    // `received` moves no target: only the reports that do are looked up, all sites in one query.
    const moving = reports.filter((r) => FROM_REPORT[r.report.status] !== undefined);
    if (moving.length === 0) return;
    await oneChange(async (tx) => {
      const targetsBySite = await tx.events.liveTargetsOfSites([...new Set(moving.map((r) => r.siteId))]);
      const changes: TargetChange[] = [];
      for (const { siteId, report } of moving) {
        const next = FROM_REPORT[report.status]!;
        for (const t of targetsBySite.get(siteId) ?? []) {
          if (t.revision !== report.revision) continue;
          if (next !== 'failed' && next !== 'released' && ORDER[t.state] >= ORDER[next]) continue;
          if (t.state === 'released') continue;
          changes.push({ eventId: t.eventId, siteId, state: next, achievedKw: report.achievedKw ?? null, ...(report.reason ? { detail: `${report.reason}${report.detail ? `: ${report.detail}` : ''}` } : {}) });
          t.state = next; // a later report of the same batch sees this one's state
          touched.add(t.eventId);
        }
      }
      await tx.events.updateTargets(changes, now); // the batch's changes in one statement, in report order
    });
    for (const id of touched) options.notify(id);
  }

  /** Ticks until the next look for stored reports not applied (0: at the next tick). */
  let ticksToRepair = 0;
  let ticking: Promise<void> | undefined;
  /** Starts and ends events on time, and retries what a crash or a broker outage left undone. One at a time. */
  function tick(): Promise<void> {
    ticking ??= tickOnce().finally(() => { ticking = undefined; });
    return ticking;
  }

  async function tickOnce(): Promise<void> {
    const now = clock();
    if (!term) return;
    try {
      // Events another collector cancelled (its API) since the last look; 2 s back for the clocks of collectors to differ.
      const ended = await store.events.sitesOfEventsEndedSince(endedSince);
      endedSince = now - 2000;
      if (ended.length) enqueue(ended);
      for (const e of await store.events.live()) {
        if (e.endTs <= now) {
          enqueue(await oneChange((tx) => finish(tx, e, 'completed', now)));
          options.notify(e.id);
        } else if (e.status === 'scheduled' && e.startTs <= now) {
          const sites = await oneChange(async (tx) => {
            await tx.events.setStatus(e.id, 'active', null);
            return (await tx.events.targets(e.id)).map((t) => t.siteId);
          });
          enqueue(sites);
          options.notify(e.id);
        }
      }
      // Reports stored by a collector that died before it moved their targets (the move follows
      // the batch's commit; the agent, acknowledged, does not send them again): at the first tick
      // of a term and every REPAIR_EVERY_TICKS after, one query that finds none on a normal day.
      if (ticksToRepair-- <= 0) {
        ticksToRepair = REPAIR_EVERY_TICKS;
        const behind = await store.events.reportsNotApplied();
        if (behind.length) {
          log.warn({ reports: behind.length }, 'applying stored reports whose targets never moved (a collector stopped between storing and applying them)');
          await applyReports(behind);
        }
      }
      // Targets stored but never turned into a control (the collector stopped in between).
      // One query for the sites, not every live target read into objects each second (a
      // 1,000-site event cost the tick ~5 ms of CPU per second that way).
      const pending = await store.events.unsentTargetSites();
      if (pending.length) enqueue(pending);
      // Retry controls whose publish did not reach the broker (crash, broker down).
      // Those in flight are skipped before their payload is read: a tick during a fan-out finds
      // up to every site's control there, waiting for its PUBACK to be recorded.
      for (const c of await store.events.unpublishedControls()) {
        if (sender.isSending(c.siteId, c.revision)) continue;
        const saved = await store.events.control(c.siteId);
        if (saved?.revision === c.revision && saved.publishedAt === null) sender.send(c.siteId, c.site, c.revision, saved.payload);
      }
    } catch (err) {
      log.error({ err }, 'event tick failed');
    }
  }

  return {
    async preview(req: EventRequest): Promise<Plan> {
      return planEvent(req, await planSites(clock(), req.kind));
    },

    async create(req: EventRequest, createdBy: string, source: EventSource | null = null): Promise<{ event: EventDetail; plan: Plan }> {
      const now = clock();
      const startTs = startOf(req, now);
      if (!Number.isFinite(startTs)) throw new AppError('USAGE', 'start is not a valid time');
      const endTs = startTs + req.durationS * 1000;
      if (endTs <= now) throw new AppError('USAGE', 'the event would already be over (start + durationS is in the past)');
      const views = new Map<number, SiteView>();
      const sites = await planSites(now, req.kind, views);
      const plan = planEvent(req, sites);
      const ths = new Map(sites.map((s) => [s.siteId, views.get(s.siteId)!.hashrateThs]));
      const event: EventRow = {
        id: randomUUID(), kind: req.kind, value: req.value ?? null, scope: req.scope, startTs, endTs, priority: req.priority, level: req.level ?? 'sleep', reason: req.reason,
        status: startTs <= now ? 'active' : 'scheduled', requestedKw: plan.requestedKw, createdBy, createdAt: now, endedAt: null, source,
      };
      await oneChange((tx) => tx.events.insertEvent(event, plan.targets.map((t) => ({ siteId: t.siteId, mode: t.mode, value: t.value, targetKw: t.targetKw, baselineKw: t.baselineKw, baselineHashing: t.baselineHashing ?? null, baselineThs: ths.get(t.siteId) ?? null, shedKw: t.shedKw })), now));
      // Targets are stored (pending) before the answer; the controls follow in chunks of one
      // transaction each, so the first agents act while later sites are still being signed.
      enqueue(plan.targets.map((t) => t.siteId));
      log.info({ eventId: event.id, kind: req.kind, value: req.value, sites: plan.targets.length, requestedKw: plan.requestedKw, createdBy }, 'event created');
      options.notify(event.id);
      // The answer from what was just stored (TargetRow fields in the repository's order, sites
      // ordered as targets() orders them on SQLite: ids are ASCII, so code-unit order is its byte order).
      const names = new Map(sites.map((s) => [s.siteId, s.site]));
      const stored: TargetRow[] = plan.targets.map((t) => ({
        eventId: event.id, siteId: t.siteId, site: names.get(t.siteId)!, state: 'pending' as const, mode: t.mode, value: t.value, targetKw: t.targetKw, baselineKw: t.baselineKw,
        baselineHashing: t.baselineHashing ?? null, baselineThs: ths.get(t.siteId) ?? null, level: null, shedKw: t.shedKw, revision: null, achievedKw: null, detail: null, updatedAt: now,
      }));
      stored.sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
      return { event: await detail((await store.events.get(event.id))!, now, stored, views), plan };
    },

    async cancel(id: string): Promise<EventDetail> {
      const now = clock();
      // Read and ended in one change: a tick ending it meanwhile cannot end it twice.
      const sites = await oneChange(async (tx) => {
        const e = await tx.events.get(id);
        if (!e) throw new AppError('NOT_FOUND', `no event ${id}`);
        if (e.status === 'completed' || e.status === 'cancelled') throw new AppError('CONFLICT', `event ${id} is already ${e.status}`);
        return finish(tx, e, 'cancelled', now);
      });
      enqueue(sites);
      options.notify(id);
      return detail((await store.events.get(id))!, now);
    },

    async get(id: string): Promise<EventDetail | undefined> {
      const e = await store.events.get(id);
      return e && detail(e, clock());
    },

    async list(limit?: number): Promise<EventDetail[]> {
      const now = clock();
      const out: EventDetail[] = [];
      for (const e of await store.events.list(limit)) out.push(await detail(e, now));
      return out;
    },

    /** Agent reports, after their batch committed. */
    onReports: applyReports,

    /** Sites' measured power changed (one committed batch): confirm the targets that hold, in one change. */
    async onSiteUpdates(updates: Array<{ siteId: number; view: SiteView }>): Promise<void> {
      if (updates.length === 0) return;
      const now = clock();
      const touched = new Set<string>();
      await oneChange(async (tx) => {
        const ids = updates.map((u) => u.siteId);
        const targetsBySite = await tx.events.liveTargetsOfSites(ids);
        if (targetsBySite.size === 0) return;
        // Only their revisions: one query for the sites, no payload parsed.
        const controls = await tx.events.controlsOfSites([...targetsBySite.keys()]);
        const changes: TargetChange[] = [];
        for (const { siteId, view } of updates) {
          const targets = targetsBySite.get(siteId);
          if (!targets?.length) continue;
          const control = controls.get(siteId);
          if (!control) continue;
          for (const t of targets) {
            const verdict = judgeTarget(t, view, control.revision, config.confirmTolerance);
            if (verdict) changes.push({ eventId: t.eventId, siteId, state: verdict.state, achievedKw: verdict.achievedKw });
            // Every live target: the event's achieved MW follows the measured draw (the stream coalesces these).
            touched.add(t.eventId);
          }
        }
        await tx.events.updateTargets(changes, now);
      });
      for (const id of touched) options.notify(id);
    },

    /** An agent appeared (birth): publish the site's control if it has one waiting. */
    async onAgent(siteId: number): Promise<void> {
      const waiting = await oneChange(async (tx) => {
        if (!(await tx.events.liveTargetsOfSite(siteId)).some((t) => t.state === 'pending')) return false;
        const saved = await tx.events.control(siteId);
        if (saved && Object.keys((saved.payload.perAgent ?? {}) as object).length === 0) await tx.events.saveControl(siteId, saved.revision, { effective: { mode: 'none' } });
        return true;
      });
      if (waiting) enqueue([siteId]);
    },

    /**
     * Reconciles, signs and publishes while this collector leads (server/cluster/while-leader.ts):
     * starts and ends events on time, and picks up what the last leader or another collector
     * left in the store (pending targets, ended events, controls the broker never acknowledged).
     */
    async lead(leaderTerm: LeaderTerm, signal: AbortSignal): Promise<void> {
      term = leaderTerm;
      endedSince = clock() - 60_000; // what ended while no one led (a takeover takes ≤ 15 s)
      ticksToRepair = 0;
      signal.addEventListener('abort', () => {
        if (term === leaderTerm) term = undefined;
        if (timer) clearInterval(timer);
        timer = undefined;
      }, { once: true });
      await tick();
      if (!signal.aborted) timer = setInterval(() => void tick(), config.tickMs);
    },
    tick,
    /** Stops the timer, issues what is queued, and waits until the broker has every control in flight. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await ticking;
      while (draining) await draining;
      await sender.settle();
    },
  };
}
export type EventService = ReturnType<typeof createEventService>;
