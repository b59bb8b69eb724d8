import type { Logger } from '../../shared/log/logger.js';
import { COMPLIANCE_ACTOR, type AuditLog } from '../audit/audit-log.js';
import { auditedEvent } from '../audit/audited-views.js';
import type { ComplianceService } from '../compliance/compliance-service.js';
import type { EventService } from '../events/event-service.js';
import { eventView } from '../http/api-context.js';
import type { CompanyRow } from '../store/company-repository.js';
import type { StorePort } from '../store/store-port.js';
import type { SiteRow } from '../store/site-repository.js';

export interface EnforcementOptions {
  store: StorePort;
  compliance: ComplianceService;
  events: EventService;
  audit: AuditLog;
  log: Logger;
}

/** An automatic limit lasts an hour (docs/decisions.md, "Auto-enforcement"). */
const LIMIT_DURATION_S = 3600;

/**
 * Automatic curtailment when compliance finds a site or a company over its terms:
 * an ordinary `limit_to_kw` event owned by `compliance` (docs/decisions.md,
 * "Auto-enforcement"), so it shows and merges like the grid's events.
 */
export function createEnforcement(options: EnforcementOptions) {
  const { store, compliance, events, audit, log } = options;
  /** Company auto-limit: one live limit event per company at a time. */
  const companyLimits = new Map<string, string>();

  return {
    /** Caps a site at its allocation, unless a compliance event already holds it. */
    async enforceSite(site: SiteRow): Promise<void> {
      try {
        for (const t of await store.events.liveTargetsOfSite(site.id)) if ((await store.events.get(t.eventId))?.createdBy === 'compliance') return;
        const why = (await compliance.hardCap(site.id)) ? `over its hard cap of ${site.hardCapKw} kW` : `over its allocation of ${site.allocationKw} kW`;
        const { event } = await events.create({ scope: { sites: [site.site] }, kind: 'limit_to_kw', value: site.allocationKw, durationS: LIMIT_DURATION_S, priority: 'high', reason: `auto-enforcement: ${site.site} ${why}` }, 'compliance');
        await audit.record(COMPLIANCE_ACTOR, 'event.create', { site: site.site, target: event.id, after: auditedEvent(eventView(event)) });
      } catch (err) {
        log.warn({ err, site: site.site }, 'auto-enforcement failed');
      }
    },

    /** Caps a company's sites together at the company cap (the planner spreads it). */
    async limitCompany(company: CompanyRow, sites: SiteRow[]): Promise<void> {
      if (sites.length === 0) return;
      const running = companyLimits.get(company.id);
      if (running && ['scheduled', 'active'].includes((await store.events.get(running))?.status ?? '')) return;
      try {
        const { event } = await events.create({ scope: { sites: sites.map((s) => s.site) }, kind: 'limit_to_kw', value: company.hardCapKw!, durationS: LIMIT_DURATION_S, priority: 'high', reason: `auto-limit: company ${company.id} over its cap of ${company.hardCapKw} kW` }, 'compliance');
        companyLimits.set(company.id, event.id);
      } catch (err) {
        log.warn({ err, company: company.id }, 'company auto-limit failed');
      }
    },
  };
}
export type Enforcement = ReturnType<typeof createEnforcement>;
