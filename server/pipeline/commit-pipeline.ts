import type { Logger } from '../../shared/log/logger.js';
import { SYSTEM_ACTOR, type AuditLog } from '../audit/audit-log.js';
import { auditedSite } from '../audit/audited-views.js';
import type { CompanyCaps } from '../compliance/company-caps.js';
import type { ComplianceService } from '../compliance/compliance-service.js';
import type { EventService } from '../events/event-service.js';
import type { CommittedBatch } from '../ingest/ingest.js';
import type { LiveState } from '../live/live-state.js';
import type { StorePort } from '../store/store-port.js';
import type { RollupQueue } from './rollup-queue.js';
import { oneAtATime } from '../../shared/async/one-at-a-time.js';

export interface CommitPipelineOptions {
  store: StorePort;
  live: LiveState;
  compliance: ComplianceService;
  companyCaps: CompanyCaps;
  events: EventService;
  audit: AuditLog;
  rollups: RollupQueue;
  /** Tells live-stream clients a site changed. */
  siteChanged(siteId: number): void;
  log: Logger;
  clock: () => number;
}

/**
 * What follows an ingest commit (docs/architecture.md#after-a-commit): the live
 * view, compliance and company caps (which may enforce), the events' target
 * tracking and reports, the live stream and the rollups' dirty buckets. It runs
 * after the batch is durable, so nothing here is seen before it is stored.
 */
export function createCommitPipeline(options: CommitPipelineOptions) {
  const { store, live, compliance, companyCaps, events, audit, rollups, siteChanged, log, clock } = options;

  async function follow(batch: CommittedBatch): Promise<void> {
    const now = clock();
    for (const s of batch.newSites) {
      log.warn({ site: s }, 'unknown site reported; created as unregistered');
      const row = await store.sites.get(s);
      await audit.record(SYSTEM_ACTOR, 'site.flagged', { site: s, target: s, after: row ? auditedSite(row) : null });
    }
    for (const r of batch.seen) live.seen(r.siteId, r.agentId, r.agent, now);
    for (const s of batch.states) {
      live.state(s.siteId, s.agentId, s.agent, s.online, now);
      siteChanged(s.siteId);
    }
    for (const b of batch.births) {
      await events.onAgent(b.siteId);
      siteChanged(b.siteId); // its declared region may have changed
    }
    const sites = new Set<number>();
    for (const l of batch.latest) {
      if (!live.sample(l.siteId, l.agentId, l.agent, l.sample, now)) continue;
      // Every sample in time order: the compliance window must see each one, not only a batch's last.
      await compliance.observe(l.siteId, l.sample.ts, live.view(l.siteId, now).kw);
      sites.add(l.siteId);
    }
    await events.onSiteUpdates([...sites].map((siteId) => ({ siteId, view: live.view(siteId, now) })));
    for (const siteId of sites) siteChanged(siteId);
    const companies = new Set<string>();
    for (const siteId of sites) {
      const c = (await compliance.site(siteId))?.company;
      if (c) companies.add(c);
    }
    for (const c of companies) await companyCaps.check(c);
    if (batch.reports.length) await events.onReports(batch.reports);
  }

  // Batches are followed one at a time, in commit order: a site's samples must reach compliance in time order.
  const following = oneAtATime();
  return function onCommitted(batch: CommittedBatch): Promise<void> {
    rollups.mark(batch.dirty); // at once: an API read that refreshes rollups sees this batch
    return following.run(() => follow(batch)).catch((err: unknown) => log.error({ err }, 'after-commit work failed for a batch'));
  };
}
