import { CONFIG_ACTOR, type AuditLog } from '../audit/audit-log.js';
import { auditedSite, siteAction } from '../audit/audited-views.js';
import type { CompanyRow } from '../store/company-repository.js';
import type { StorePort } from '../store/store-port.js';
import type { CollectorConfig } from './collector-config.js';

const companySettings = (x: CompanyRow) => ({ name: x.name, allocationKw: x.allocationKw, hardCapKw: x.hardCapKw, autoLimit: x.autoLimit });

/**
 * Writes the sites and companies of the YAML into the registry at start, in one
 * transaction. A change the YAML made (allocation, tariff…) is audited like an
 * API change, by the config.
 */
export function applyConfigRegistry(config: Pick<CollectorConfig, 'sites' | 'companies'>, store: StorePort, audit: AuditLog, now: number): Promise<void> {
  return store.transaction(async (tx) => {
    for (const s of config.sites) {
      const before = await tx.sites.get(s.id);
      const { row, created } = await tx.sites.upsert(s, now);
      const [b, a] = [before && auditedSite(before), auditedSite(row)];
      if (created || JSON.stringify(b) !== JSON.stringify(a)) await audit.record(CONFIG_ACTOR, created ? 'site.create' : siteAction(before!, row), { site: row.site, target: row.site, before: b ?? null, after: a }, tx);
    }
    for (const c of config.companies) {
      const before = await tx.companies.get(c.id);
      const { row } = await tx.companies.upsert(c, now);
      if (!before || JSON.stringify(companySettings(before)) !== JSON.stringify(companySettings(row))) await audit.record(CONFIG_ACTOR, before ? 'company.update' : 'company.create', { target: row.id, before: before ? companySettings(before) : null, after: companySettings(row) }, tx);
    }
  });
}
