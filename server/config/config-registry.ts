import { CONFIG_ACTOR, type AuditLog } from '../audit/audit-log.js';
import { auditedSite, siteAction } from '../audit/audited-views.js';
import type { CompanyRow } from '../store/company-repository.js';
import type { Repositories } from '../store/repositories.js';
import type { CollectorConfig } from './collector-config.js';

const companySettings = (x: CompanyRow) => ({ name: x.name, allocationKw: x.allocationKw, hardCapKw: x.hardCapKw, autoLimit: x.autoLimit });

/**
 * Writes the sites and companies of the YAML into the registry at start, in one
 * transaction. A change the YAML made (allocation, tariff…) is audited like an
 * API change, by the config.
 */
export function applyConfigRegistry(config: Pick<CollectorConfig, 'sites' | 'companies'>, repos: Repositories, audit: AuditLog, now: number): void {
  repos.transaction(() => {
    for (const s of config.sites) {
      const before = repos.sites.get(s.id);
      const { row, created } = repos.sites.upsert(s, now);
      const [b, a] = [before && auditedSite(before), auditedSite(row)];
      if (created || JSON.stringify(b) !== JSON.stringify(a)) audit.record(CONFIG_ACTOR, created ? 'site.create' : siteAction(before!, row), { site: row.site, target: row.site, before: b ?? null, after: a });
    }
    for (const c of config.companies) {
      const before = repos.companies.get(c.id);
      const { row } = repos.companies.upsert(c, now);
      if (!before || JSON.stringify(companySettings(before)) !== JSON.stringify(companySettings(row))) audit.record(CONFIG_ACTOR, before ? 'company.update' : 'company.create', { target: row.id, before: before ? companySettings(before) : null, after: companySettings(row) });
    }
  });
}
