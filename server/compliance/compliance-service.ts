import type { Logger } from '../../shared/log/logger.js';
import type { ComplianceConfig } from '../config/collector-config.js';
import type { StorePort } from '../store/store-port.js';
import type { SiteRow } from '../store/site-repository.js';
import type { ViolationRow } from '../store/violation-repository.js';
import { SiteCompliance, type ComplianceSnapshot } from './compliance-tracker.js';
import { hardCapTransition } from './hard-cap.js';
import { oneAtATime } from '../../shared/async/one-at-a-time.js';

export interface ComplianceServiceOptions {
  store: StorePort;
  config: ComplianceConfig;
  log: Logger;
  clock: () => number;
  onViolation(change: 'opened' | 'closed', violation: ViolationRow): void;
  /** Auto-enforcement: cap the site at its allocation. Returns the control revision, if one was issued. */
  enforce(site: SiteRow): void;
  /** The rolling average crossed the site's hard cap (or fell back under it): alert at once. */
  onHardCap?(change: 'exceeded' | 'cleared', site: SiteRow, averageKw: number | null): void;
  /**
   * Whether this collector records violations and enforces: the leader (always, alone on
   * SQLite). Another collector keeps its rolling averages for the API and acts on nothing.
   */
  acts?(): boolean;
}

/** Runs a SiteCompliance per site over live samples and keeps violations in the database. */
export function createComplianceService(options: ComplianceServiceOptions) {
  const { store, config, clock } = options;
  const log = options.log.child({ component: 'compliance' });
  const params = {
    windowMs: config.windowS * 1000, tolerance: config.tolerance, graceMs: config.graceS * 1000,
    hysteresis: config.hysteresis, closeAfterMs: (config.closeAfterS ?? config.graceS) * 1000,
  };
  const trackers = new Map<number, SiteCompliance>();
  const openIds = new Map<number, number>();
  const sites = new Map<number, SiteRow>();
  /** Sites whose rolling average is above their hard cap now. */
  const overCap = new Map<number, number>();

  const siteOf = async (siteId: number) => {
    let s = sites.get(siteId);
    if (!s) {
      s = await store.sites.getById(siteId);
      if (s) sites.set(siteId, s);
    }
    return s;
  };
  const trackerOf = (siteId: number) => {
    let t = trackers.get(siteId);
    if (!t) trackers.set(siteId, (t = new SiteCompliance(params)));
    return t;
  };

  /**
   * The hard cap has no grace period: crossing it enforces at once (when
   * auto-enforcement is on), through the same path as a violation.
   */
  function checkHardCap(site: SiteRow, averageKw: number | null): void {
    const t = hardCapTransition(overCap.has(site.id), averageKw, site.hardCapKw, config.hysteresis);
    if (t === 'exceeded') {
      overCap.set(site.id, averageKw!);
      log.warn({ site: site.site, hardCapKw: site.hardCapKw, averageKw }, 'hard cap exceeded');
      options.onHardCap?.('exceeded', site, averageKw);
      if (site.autoEnforce ?? config.autoEnforce) options.enforce(site);
    } else if (t === 'cleared') {
      overCap.delete(site.id);
      log.info({ site: site.site, hardCapKw: site.hardCapKw, averageKw }, 'hard cap no longer exceeded');
      options.onHardCap?.('cleared', site, averageKw);
    } else if (averageKw !== null && overCap.has(site.id)) {
      overCap.set(site.id, averageKw);
    }
  }

  const acts = options.acts ?? (() => true);
  // One sample at a time: a site's tracker and its open violation's row change together, and
  // samples come from this collector's commits and, on the leader, from its peers' (live bus).
  const observing = oneAtATime();

  async function observeNow(siteId: number, ts: number, kw: number): Promise<void> {
    const site = await siteOf(siteId);
    if (!site) return;
    const tracker = trackerOf(siteId);
    const change = tracker.observe(ts, kw, site.registered ? site.allocationKw : 0);
    if (!acts()) return;
    const now = clock();
    checkHardCap(site, tracker.averageKw());
    if (change?.type === 'opened') {
      const v = change.violation;
      const id = await store.violations.open({ siteId, openedAt: v.openedAt, allocationKw: v.allocationKw, thresholdKw: v.thresholdKw, peakKw: v.peakKw, energyOverKwh: v.energyOverKwh });
      openIds.set(siteId, id);
      log.warn({ site: site.site, allocationKw: v.allocationKw, averageKw: tracker.averageKw() }, 'allocation violation opened');
      const row = (await store.violations.list({ site: site.site, open: true, limit: 1 }, now))[0];
      if (row) options.onViolation('opened', row);
      if (site.autoEnforce ?? config.autoEnforce) options.enforce(site);
    } else if (change?.type === 'closed') {
      const id = openIds.get(siteId);
      if (id !== undefined) {
        openIds.delete(siteId);
        await store.violations.update(id, { peakKw: change.violation.peakKw, energyOverKwh: change.violation.energyOverKwh, closedAt: change.closedAt });
        log.info({ site: site.site, peakKw: change.violation.peakKw, energyOverKwh: change.violation.energyOverKwh }, 'allocation violation closed');
        const row = (await store.violations.list({ site: site.site, limit: 1 }, now)).find((r) => r.id === id);
        if (row) options.onViolation('closed', row);
      }
    } else {
      const open = tracker.current();
      const id = openIds.get(siteId);
      if (open && id !== undefined) await store.violations.update(id, { peakKw: open.peakKw, energyOverKwh: open.energyOverKwh, closedAt: null });
    }
  }

  return {
    /** The open violations as the store has them (at start, and when this collector begins to lead); in turn with the samples. */
    load(): Promise<void> {
      return observing.run(async () => {
        openIds.clear();
        for (const v of await store.violations.listOpen(clock())) {
          trackerOf(v.siteId).restore({ openedAt: v.openedAt, allocationKw: v.allocationKw, thresholdKw: v.thresholdKw, peakKw: v.peakKw, energyOverKwh: v.energyOverKwh });
          openIds.set(v.siteId, v.id);
        }
      });
    },
    /** A site's settings changed (allocation): read them again. */
    forget(siteId: number): void {
      sites.delete(siteId);
    },
    /** One sample of a site, after the ones observed before it. */
    observe(siteId: number, ts: number, kw: number): Promise<void> {
      return observing.run(() => observeNow(siteId, ts, kw));
    },
    /** The site's rolling average kW; null before it reported. */
    averageKw(siteId: number): number | null {
      return trackers.get(siteId)?.averageKw() ?? null;
    },
    /** The site's settings as compliance holds them (cached until forget). */
    site(siteId: number): Promise<SiteRow | undefined> {
      return siteOf(siteId);
    },
    async snapshot(siteId: number): Promise<ComplianceSnapshot> {
      const t = trackers.get(siteId);
      if (t) return t.snapshot();
      const site = await siteOf(siteId);
      return { status: site && site.registered && site.allocationKw > 0 ? 'no_data' : 'no_allocation', averageKw: null, allocationKw: site?.allocationKw ?? 0, thresholdKw: (site?.allocationKw ?? 0) * (1 + config.tolerance), open: null };
    },
    /** The site's rolling average and hard cap while the average is above the cap; null otherwise. */
    async hardCap(siteId: number): Promise<{ averageKw: number; hardCapKw: number } | null> {
      const avg = overCap.get(siteId);
      if (avg === undefined) return null;
      const cap = (await siteOf(siteId))?.hardCapKw;
      return cap === null || cap === undefined ? null : { averageKw: avg, hardCapKw: cap };
    },
    openCount(): number {
      return openIds.size;
    },
  };
}
export type ComplianceService = ReturnType<typeof createComplianceService>;
