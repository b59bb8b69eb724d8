/** What the audit log keeps of the things it records: the settings a person changed, not live state. */
import type { eventView } from '../http/api-context.js';
import type { SiteRow } from '../store/site-repository.js';
import type { AuditAction } from './audit-log.js';
import type { RegistryChange } from './change-hook.js';

/** What the audit log keeps of an event: the request and the sites it touched, not its live progress. */
export function auditedEvent(e: ReturnType<typeof eventView>) {
  return { id: e.id, kind: e.kind, value: e.value, scope: e.scope, startTs: e.startTs, endTs: e.endTs, priority: e.priority, reason: e.reason, status: e.status, requestedKw: e.requestedKw, createdBy: e.createdBy, sites: eventSites(e) };
}

/** The sites an event names or targets: the audit log's site filter finds the event under each. */
function eventSites(e: ReturnType<typeof eventView>): string[] {
  const named = (e.scope as { sites?: unknown } | null)?.sites;
  return [...new Set([...(Array.isArray(named) ? named.filter((s): s is string => typeof s === 'string') : []), ...e.targets.map((t) => t.site)])].sort();
}

/** A site's settings as the audit log keeps them (registration, allocation, tariff, tier…). */
export function auditedSite(s: SiteRow) {
  return { name: s.name, region: s.region, company: s.company, registered: s.registered, flagged: s.flagged, allocationKw: s.allocationKw, hardCapKw: s.hardCapKw, tariffPerKwh: s.tariffPerKwh, tier: s.tier, autoEnforce: s.autoEnforce };
}

/** site.register when a change registers a site (an unknown one that reported, or one marked unregistered), else site.update. */
export function siteAction(before: SiteRow, after: SiteRow): 'site.register' | 'site.update' {
  return (!before.registered || before.flagged) && after.registered && !after.flagged ? 'site.register' : 'site.update';
}

/** The audit action of a registry change: site.create/update/register, company.create/update/delete. */
export function registryAction(c: RegistryChange): AuditAction {
  if (!c.before) return `${c.entity}.create`;
  if (!c.after) return `${c.entity}.delete`;
  if (c.entity === 'site') return siteAction(c.before as unknown as SiteRow, c.after as unknown as SiteRow);
  return `${c.entity}.update`;
}
