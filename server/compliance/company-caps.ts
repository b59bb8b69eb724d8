import type { Logger } from '../../shared/log/logger.js';
import type { CompanyRow, CompanyViolationRow } from '../store/company-repository.js';
import type { StorePort } from '../store/store-port.js';
import type { SiteRow } from '../store/site-repository.js';
import { hardCapTransition } from './hard-cap.js';

export interface CompanyCapsOptions {
  store: StorePort;
  /** A site's rolling average kW (the compliance window), null before it reported. */
  averageOf(siteId: number): number | null;
  hysteresis: number;
  clock: () => number;
  log: Logger;
  onViolation(change: 'opened' | 'closed', violation: CompanyViolationRow): void;
  /** Auto-limit: cap the company's sites at the company cap together (the planner spreads it). */
  limit(company: CompanyRow, sites: SiteRow[]): void | Promise<void>;
  /** Whether this collector records company violations and limits: the leader (compliance-service.ts). */
  acts?(): boolean;
}

export interface CompanySnapshot {
  /** Sum of the rolling averages of its sites that reported. */
  averageKw: number | null;
  status: 'no_cap' | 'no_data' | 'ok' | 'violation';
  openViolation: CompanyViolationRow | null;
}

/**
 * Company caps: a farm owner's hard cap holds across all its sites (the 100 MW
 * rule is per owner, not per farm). The combined rolling average of the sites is
 * held to the cap like a site's hard cap (hard-cap.ts: no grace, hysteresis to
 * close); crossing it opens a company violation and, with autoLimit, limits the
 * sites together to the cap.
 */
export function createCompanyCaps(options: CompanyCapsOptions) {
  const { store, clock } = options;
  const log = options.log.child({ component: 'company-caps' });
  let sitesByCompany: Map<string, SiteRow[]> | undefined;
  const companies = new Map<string, CompanyRow | null>();
  const open = new Map<string, number>();

  const sitesOf = async (id: string): Promise<SiteRow[]> => {
    if (!sitesByCompany) {
      const byCompany = new Map<string, SiteRow[]>();
      for (const s of await store.sites.list()) if (s.company) byCompany.set(s.company, [...(byCompany.get(s.company) ?? []), s]);
      sitesByCompany = byCompany;
    }
    return sitesByCompany.get(id) ?? [];
  };
  const companyOf = async (id: string): Promise<CompanyRow | undefined> => {
    if (!companies.has(id)) companies.set(id, (await store.companies.get(id)) ?? null);
    return companies.get(id) ?? undefined;
  };
  const combined = (sites: SiteRow[]): number | null => {
    const avgs = sites.map((s) => options.averageOf(s.id)).filter((x): x is number => x !== null);
    return avgs.length ? avgs.reduce((a, b) => a + b, 0) : null;
  };

  return {
    async load(): Promise<void> {
      open.clear();
      for (const v of await store.companies.violations({ open: true }, clock())) open.set(v.company, v.id);
    },
    /** Sites or companies changed: read them again. */
    forget(): void {
      sitesByCompany = undefined;
      companies.clear();
    },
    /** One of the company's sites reported: check the cap across all of them. */
    /** The caller awaits each check before the next (the open violation and its peak go together). */
    async check(companyId: string): Promise<void> {
      if (options.acts && !options.acts()) return;
      const company = await companyOf(companyId);
      if (!company) return;
      const sites = await sitesOf(companyId);
      const avg = combined(sites);
      const now = clock();
      const t = hardCapTransition(open.has(companyId), avg, company.hardCapKw, options.hysteresis);
      if (t === 'exceeded') {
        const id = await store.companies.openViolation({ company: companyId, openedAt: now, capKw: company.hardCapKw!, peakKw: avg!, sites: sites.map((s) => s.site) });
        open.set(companyId, id);
        log.warn({ company: companyId, hardCapKw: company.hardCapKw, averageKw: avg }, 'company cap exceeded');
        const row = await store.companies.openViolationOf(companyId, now);
        if (row) options.onViolation('opened', row);
        if (company.autoLimit) await options.limit(company, sites);
      } else if (t === 'cleared') {
        const id = open.get(companyId)!;
        open.delete(companyId);
        await store.companies.updateViolation(id, avg ?? 0, now);
        log.info({ company: companyId, averageKw: avg }, 'company cap no longer exceeded');
        const row = (await store.companies.violations({ company: companyId, limit: 1 }, now))[0];
        if (row) options.onViolation('closed', row);
      } else if (avg !== null && open.has(companyId)) {
        await store.companies.updateViolation(open.get(companyId)!, avg, null);
      }
    },
    async snapshot(companyId: string): Promise<CompanySnapshot> {
      const company = await companyOf(companyId);
      const avg = combined(await sitesOf(companyId));
      const violation = open.has(companyId) ? (await store.companies.openViolationOf(companyId, clock())) ?? null : null;
      const status = violation ? 'violation' : company?.hardCapKw === null || !company ? 'no_cap' : avg === null ? 'no_data' : 'ok';
      return { averageKw: avg, status, openViolation: violation };
    },
    sitesOf,
  };
}
export type CompanyCaps = ReturnType<typeof createCompanyCaps>;
