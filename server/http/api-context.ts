import type { AlertRow } from '../alerts/alert-repository.js';
import type { AlertService } from '../alerts/alert-service.js';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { UserService } from '../auth/user-service.js';
import type { ComplianceService } from '../compliance/compliance-service.js';
import type { CompanyCaps } from '../compliance/company-caps.js';
import type { CollectorConfig } from '../config/collector-config.js';
import type { EventDetail, EventService } from '../events/event-service.js';
import type { LiveState } from '../live/live-state.js';
import type { VenStatus } from '../openadr/ven.js';
import type { StreamHub } from '../live/stream-hub.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { StorePort } from '../store/store-port.js';
import type { SiteRow } from '../store/site-repository.js';
import type { RegistryChange } from '../audit/change-hook.js';

/** What the HTTP layer reads and calls; built by the composition root. */
export interface ApiContext {
  config: CollectorConfig;
  store: StorePort;
  live: LiveState;
  compliance: ComplianceService;
  companyCaps: CompanyCaps;
  alerts: AlertService;
  events: EventService;
  hub: StreamHub;
  metrics: CollectorMetrics;
  audit: AuditLog;
  users: UserService;
  signIns: SignInLimiter;
  clock: () => number;
  /** Brings rollups and daily energy up to date with everything committed. */
  refreshRollups(): Promise<void>;
  /**
   * A site's settings changed through the API. `before` is the row as it was (undefined
   * for a new site): the hook an audit log of who changed what plugs into.
   */
  siteChanged(site: SiteRow, before: SiteRow | undefined, by: string, actor?: Actor): Promise<void>;
  /** Passes a registry change to the audit hook. */
  recordChange(change: RegistryChange): Promise<void>;
  health(): { ok: boolean; mqtt: boolean; db: boolean };
  /** The OpenADR VEN's link to its VTN; undefined when none is configured. */
  openadr?(): Promise<VenStatus> | undefined;
}

/** A site as the API and the live stream show it: registry, live draw, compliance, control. */
export async function siteSummary(ctx: Pick<ApiContext, 'live' | 'compliance' | 'store'>, s: SiteRow, now: number) {
  const v = ctx.live.view(s.id, now);
  const c = await ctx.compliance.snapshot(s.id);
  const control = await ctx.store.events.control(s.id);
  const effective = control?.payload.effective as { mode?: string } | undefined;
  return {
    id: s.site, name: s.name, region: s.region, regionDeclared: s.regionDeclared, latitude: s.latitude, longitude: s.longitude, company: s.company, registered: s.registered, flagged: s.flagged,
    allocationKw: s.allocationKw, hardCapKw: s.hardCapKw, tariffPerKwh: s.tariffPerKwh, tier: s.tier, autoEnforce: s.autoEnforce,
    kw: round(v.kw), meterKw: v.meterKw === null ? null : round(v.meterKw), minerKw: round(v.minerKw), hashrateThs: round(v.hashrateThs),
    counts: v.counts,
    compliance: { status: c.status, averageKw: c.averageKw === null ? null : round(c.averageKw), thresholdKw: round(c.thresholdKw), openViolation: c.open && { openedAt: c.open.openedAt, peakKw: c.open.peakKw, energyOverKwh: round(c.open.energyOverKwh) } },
    online: v.online, agentsOnline: v.agentsOnline, agentsTotal: v.agentsTotal, lastSampleTs: v.lastSampleTs,
    controlRevision: control?.revision ?? null, controlMode: effective?.mode ?? null,
  };
}

export function eventView(e: EventDetail) {
  return {
    id: e.id, kind: e.kind, value: e.value, scope: e.scope, startTs: e.startTs, endTs: e.endTs, priority: e.priority, level: e.level, reason: e.reason, status: e.status,
    requestedKw: e.requestedKw, achievedKw: e.achievedKw, requestedMw: e.requestedKw / 1000, achievedMw: e.achievedKw / 1000,
    createdBy: e.createdBy, createdAt: e.createdAt, endedAt: e.endedAt, source: e.source ?? null, counts: e.counts, machines: e.machines,
    targets: e.targets.map((t) => {
      const measured = t.currentKw ?? t.achievedKw;
      return {
        site: t.site, state: t.state, mode: t.mode, value: t.value, targetKw: t.targetKw, baselineKw: t.baselineKw, shedKw: t.shedKw, revision: t.revision,
        // The stored column is the draw measured at the last state change; "achieved" means kW shed, as on the event.
        measuredKw: t.achievedKw, achievedKw: measured === null || e.status === 'scheduled' ? null : round(Math.max(0, t.baselineKw - measured)),
        currentKw: t.currentKw, baselineMachines: t.baselineHashing, asleep: t.asleep, detail: t.detail, updatedAt: t.updatedAt,
        level: t.level, baselineThs: t.baselineThs, currentThs: t.currentThs,
      };
    }),
  };
}

export function alertView(a: AlertRow) {
  return { id: a.id, kind: a.kind, site: a.site, subject: a.subject, agent: a.agent, openedAt: a.openedAt, closedAt: a.closedAt, details: a.details };
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A violation as the API shows it (the store's row carries internal ids). */
export function violationView(v: { id: number; site: string; openedAt: number; closedAt: number | null; allocationKw: number; thresholdKw: number; peakKw: number; energyOverKwh: number; durationS: number }) {
  return { id: v.id, site: v.site, openedAt: v.openedAt, closedAt: v.closedAt, allocationKw: v.allocationKw, thresholdKw: v.thresholdKw, peakKw: v.peakKw, energyOverKwh: v.energyOverKwh, durationS: v.durationS };
}
