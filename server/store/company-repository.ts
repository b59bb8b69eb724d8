import type { Db } from './database.js';

/** A farm owner: its sites are those whose `company` is its id. */
export interface CompanyRow {
  id: string;
  name: string;
  /** kW the company may draw across its sites (0: none set); shown against the combined draw. */
  allocationKw: number;
  /** Combined draw the company must not exceed (null: none): over it, a company violation. */
  hardCapKw: number | null;
  /** Over the cap: limit the company's sites to the cap, spread by the planner's rules. */
  autoLimit: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface CompanyViolationRow {
  id: number;
  company: string;
  openedAt: number;
  closedAt: number | null;
  capKw: number;
  peakKw: number;
  /** The company's sites when it opened. */
  sites: string[];
  durationS: number;
}

interface RawCompany { id: string; name: string; allocation_kw: number; hard_cap_kw: number | null; auto_limit: number; created_at: number; updated_at: number }
interface RawViolation { id: number; company: string; opened_at: number; closed_at: number | null; cap_kw: number; peak_kw: number; sites: string }

const toCompany = (r: RawCompany): CompanyRow => ({ id: r.id, name: r.name, allocationKw: r.allocation_kw, hardCapKw: r.hard_cap_kw, autoLimit: r.auto_limit === 1, createdAt: r.created_at, updatedAt: r.updated_at });

export type CompanyRepository = ReturnType<typeof createCompanyRepository>;

/** All SQL about companies and their cap violations. */
export function createCompanyRepository(db: Db) {
  const get = db.prepare<[string], RawCompany>('SELECT * FROM companies WHERE id = ?');
  const all = db.prepare<[], RawCompany>('SELECT * FROM companies ORDER BY id');
  const upsert = db.prepare(`INSERT INTO companies (id, name, allocation_kw, hard_cap_kw, auto_limit, created_at, updated_at)
    VALUES (@id, @name, @allocationKw, @hardCapKw, @autoLimit, @now, @now)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, allocation_kw = excluded.allocation_kw, hard_cap_kw = excluded.hard_cap_kw,
      auto_limit = excluded.auto_limit, updated_at = excluded.updated_at`);
  const openViolation = db.prepare('INSERT INTO company_violations (company, opened_at, cap_kw, peak_kw, sites) VALUES (@company, @openedAt, @capKw, @peakKw, @sites)');
  const updateViolation = db.prepare('UPDATE company_violations SET peak_kw = MAX(peak_kw, @peakKw), closed_at = @closedAt WHERE id = @id');
  const openOf = db.prepare<[string], RawViolation>('SELECT * FROM company_violations WHERE company = ? AND closed_at IS NULL ORDER BY id DESC LIMIT 1');
  const listOf = db.prepare<{ company: string | null; open: number; limit: number }, RawViolation>(
    `SELECT * FROM company_violations WHERE (@company IS NULL OR company = @company) AND (@open = 0 OR closed_at IS NULL) ORDER BY opened_at DESC LIMIT @limit`);
  const toViolation = (r: RawViolation, now: number): CompanyViolationRow => ({
    id: r.id, company: r.company, openedAt: r.opened_at, closedAt: r.closed_at, capKw: r.cap_kw, peakKw: r.peak_kw,
    sites: JSON.parse(r.sites) as string[], durationS: ((r.closed_at ?? now) - r.opened_at) / 1000,
  });

  return {
    get(id: string): CompanyRow | undefined {
      const r = get.get(id);
      return r && toCompany(r);
    },
    list(): CompanyRow[] {
      return all.all().map(toCompany);
    },
    upsert(c: Omit<CompanyRow, 'createdAt' | 'updatedAt'>, now: number): { row: CompanyRow; created: boolean } {
      const created = !get.get(c.id);
      upsert.run({ id: c.id, name: c.name, allocationKw: c.allocationKw, hardCapKw: c.hardCapKw, autoLimit: c.autoLimit ? 1 : 0, now });
      return { row: toCompany(get.get(c.id)!), created };
    },
    openViolation(v: { company: string; openedAt: number; capKw: number; peakKw: number; sites: string[] }): number {
      return Number(openViolation.run({ ...v, sites: JSON.stringify(v.sites) }).lastInsertRowid);
    },
    updateViolation(id: number, peakKw: number, closedAt: number | null): void {
      updateViolation.run({ id, peakKw, closedAt });
    },
    openViolationOf(company: string, now: number): CompanyViolationRow | undefined {
      const r = openOf.get(company);
      return r && toViolation(r, now);
    },
    violations(q: { company?: string; open?: boolean; limit?: number }, now: number): CompanyViolationRow[] {
      return listOf.all({ company: q.company ?? null, open: q.open ? 1 : 0, limit: q.limit ?? 500 }).map((r) => toViolation(r, now));
    },
  };
}
