import type { CompanyRepository, CompanyRow, CompanyViolationRow } from '../company-repository.js';
import type { AsyncOf } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';

interface RawCompany { id: string; name: string; allocation_kw: number; hard_cap_kw: number | null; auto_limit: boolean; created_at: number; updated_at: number }
interface RawViolation { id: number; company: string; opened_at: number; closed_at: number | null; cap_kw: number; peak_kw: number; sites: string }

const toCompany = (r: RawCompany): CompanyRow => ({
  id: r.id, name: r.name, allocationKw: r.allocation_kw, hardCapKw: r.hard_cap_kw, autoLimit: r.auto_limit, createdAt: r.created_at, updatedAt: r.updated_at,
});
const toViolation = (r: RawViolation, now: number): CompanyViolationRow => {
  const openedAt = r.opened_at;
  const closedAt = r.closed_at;
  return { id: r.id, company: r.company, openedAt, closedAt, capKw: r.cap_kw, peakKw: r.peak_kw, sites: JSON.parse(r.sites) as string[], durationS: ((closedAt ?? now) - openedAt) / 1000 };
};

/** CompanyRepository on PostgreSQL: same methods and results as the SQLite one, each returning a Promise. */
export function createPgCompanyRepository(sql: PgQueryable): AsyncOf<CompanyRepository> {
  return {
    async get(id) {
      const [r] = await sql<RawCompany[]>`SELECT * FROM companies WHERE id = ${id}`;
      return r && toCompany(r);
    },
    async list() {
      return (await sql<RawCompany[]>`SELECT * FROM companies ORDER BY id`).map(toCompany);
    },
    async upsert(c, now) {
      // xmax is 0 on a row this statement inserted, the updating transaction's id on one it updated.
      const [r] = await sql<Array<RawCompany & { created: boolean }>>`
        INSERT INTO companies (id, name, allocation_kw, hard_cap_kw, auto_limit, created_at, updated_at)
        VALUES (${c.id}, ${c.name}, ${c.allocationKw}, ${c.hardCapKw}, ${c.autoLimit}, ${now}, ${now})
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, allocation_kw = excluded.allocation_kw, hard_cap_kw = excluded.hard_cap_kw,
          auto_limit = excluded.auto_limit, updated_at = excluded.updated_at
        RETURNING *, (xmax = 0) AS created`;
      return { row: toCompany(r!), created: r!.created };
    },
    async openViolation(v) {
      const [r] = await sql<Array<{ id: number }>>`INSERT INTO company_violations (company, opened_at, cap_kw, peak_kw, sites)
        VALUES (${v.company}, ${v.openedAt}, ${v.capKw}, ${v.peakKw}, ${JSON.stringify(v.sites)}) RETURNING id`;
      return r!.id;
    },
    async updateViolation(id, peakKw, closedAt) {
      await sql`UPDATE company_violations SET peak_kw = GREATEST(peak_kw, ${peakKw}), closed_at = ${closedAt} WHERE id = ${id}`;
    },
    async openViolationOf(company, now) {
      const [r] = await sql<RawViolation[]>`SELECT * FROM company_violations WHERE company = ${company} AND closed_at IS NULL ORDER BY id DESC LIMIT 1`;
      return r && toViolation(r, now);
    },
    async violations(q, now) {
      const rows = await sql<RawViolation[]>`SELECT * FROM company_violations
        WHERE (${q.company ?? null}::text IS NULL OR company = ${q.company ?? null}::text) AND (NOT ${q.open === true}::boolean OR closed_at IS NULL)
        ORDER BY opened_at DESC LIMIT ${q.limit ?? 500}`;
      return rows.map((r) => toViolation(r, now));
    },
  };
}
