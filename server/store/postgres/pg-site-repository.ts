import type { SiteSettings } from '../../config/collector-config.js';
import type { DeclaredLocation, SiteDefaults, SiteRepository, SiteRow, SiteTerms } from '../site-repository.js';
import type { AsyncOf } from '../store-port.js';
import { inTransaction, type PgQueryable } from './pg-connect.js';

interface RawSite {
  id: number; site: string; name: string; region: string; company: string; registered: boolean;
  allocation_kw: number; hard_cap_kw: number | null; tariff_per_kwh: number; tier: number;
  auto_enforce: boolean | null; flagged: boolean; created_at: number; updated_at: number;
  region_declared: boolean; latitude: number | null; longitude: number | null;
}
interface RawTerms { site_id: number; effective_from: number; allocation_kw: number; hard_cap_kw: number | null; tariff_per_kwh: number; changed_at: number }

const toRow = (r: RawSite): SiteRow => ({
  id: r.id, site: r.site, name: r.name, region: r.region, regionDeclared: r.region_declared, latitude: r.latitude, longitude: r.longitude,
  company: r.company, registered: r.registered,
  allocationKw: r.allocation_kw, hardCapKw: r.hard_cap_kw, tariffPerKwh: r.tariff_per_kwh, tier: r.tier,
  autoEnforce: r.auto_enforce, flagged: r.flagged, createdAt: r.created_at, updatedAt: r.updated_at,
});
const toTerms = (r: RawTerms): SiteTerms => ({ effectiveFrom: r.effective_from, allocationKw: r.allocation_kw, hardCapKw: r.hard_cap_kw, tariffPerKwh: r.tariff_per_kwh, changedAt: r.changed_at });

/** The site registry on PostgreSQL: the same effective-dated terms as site-repository.ts. */
export function createPgSiteRepository(sql: PgQueryable, defaults: SiteDefaults = { greyTariffPerKwh: 0 }): AsyncOf<SiteRepository> {
  const byKey = async (q: PgQueryable, site: string) => (await q<RawSite[]>`SELECT * FROM sites WHERE site = ${site}`)[0];
  const termsAt = async (q: PgQueryable, siteId: number, at: number) =>
    (await q<RawTerms[]>`SELECT * FROM site_terms WHERE site_id = ${siteId} AND effective_from <= ${at} ORDER BY effective_from DESC LIMIT 1`)[0];
  const putTerms = (q: PgQueryable, siteId: number, effectiveFrom: number, t: { allocationKw: number; hardCapKw: number | null; tariffPerKwh: number }, changedAt: number) =>
    q`INSERT INTO site_terms (site_id, effective_from, allocation_kw, hard_cap_kw, tariff_per_kwh, changed_at)
      VALUES (${siteId}, ${effectiveFrom}, ${t.allocationKw}, ${t.hardCapKw}, ${t.tariffPerKwh}, ${changedAt})
      ON CONFLICT (site_id, effective_from) DO UPDATE SET allocation_kw = excluded.allocation_kw, hard_cap_kw = excluded.hard_cap_kw,
        tariff_per_kwh = excluded.tariff_per_kwh, changed_at = excluded.changed_at`;
  /** Writes the terms in force at `now` into the sites row. */
  const syncCurrent = (q: PgQueryable, siteId: number, now: number) =>
    q`UPDATE sites s SET allocation_kw = t.allocation_kw, hard_cap_kw = t.hard_cap_kw, tariff_per_kwh = t.tariff_per_kwh
      FROM (SELECT * FROM site_terms WHERE site_id = ${siteId} AND effective_from <= ${now} ORDER BY effective_from DESC LIMIT 1) t
      WHERE s.id = t.site_id`;
  const insertSite = (q: PgQueryable, s: SiteSettings, flagged: boolean, now: number) =>
    q<{ id: number; created: boolean }[]>`INSERT INTO sites (site, name, region, company, registered, allocation_kw, hard_cap_kw, tariff_per_kwh, tier, auto_enforce, flagged, region_declared, created_at, updated_at)
      VALUES (${s.id}, ${s.name}, ${s.region}, ${s.company}, ${s.registered}, ${s.allocationKw}, ${s.hardCapKw}, ${s.tariffPerKwh}, ${s.tier}, ${s.autoEnforce}, ${flagged}, false, ${now}, ${now})
      ON CONFLICT (site) DO ${flagged ? q`NOTHING` : q`UPDATE SET name = excluded.name, region = excluded.region, company = excluded.company,
        registered = excluded.registered, tier = excluded.tier, auto_enforce = excluded.auto_enforce, flagged = false, region_declared = false, updated_at = excluded.updated_at`}
      RETURNING id, (xmax = 0) AS created`;

  return {
    async get(site: string): Promise<SiteRow | undefined> {
      const r = await byKey(sql, site);
      return r && toRow(r);
    },
    async getById(id: number): Promise<SiteRow | undefined> {
      const [r] = await sql<RawSite[]>`SELECT * FROM sites WHERE id = ${id}`;
      return r && toRow(r);
    },
    async list(): Promise<SiteRow[]> {
      // COLLATE "C": byte order, as SQLite sorts text, whatever the database's locale.
      return (await sql<RawSite[]>`SELECT * FROM sites ORDER BY site COLLATE "C"`).map(toRow);
    },
    /** See site-repository.ts upsert: a person registering a site clears its flag; terms apply from effectiveFrom. */
    upsert(settings: SiteSettings, now: number, effectiveFrom = now): Promise<{ row: SiteRow; created: boolean }> {
      return inTransaction(sql, async (tx) => {
        const [{ id, created }] = (await insertSite(tx, settings, false, now)) as unknown as [{ id: number; created: boolean }];
        const before = created ? undefined : await termsAt(tx, id, effectiveFrom);
        const same = before && before.allocation_kw === settings.allocationKw && before.hard_cap_kw === settings.hardCapKw && before.tariff_per_kwh === settings.tariffPerKwh;
        if (!same) await putTerms(tx, id, created ? 0 : effectiveFrom, settings, now);
        await syncCurrent(tx, id, now);
        return { row: toRow((await byKey(tx, settings.id))!), created };
      });
    },
    /**
     * An unknown site that reported: created unregistered and flagged, in region `unknown`.
     * Two collectors meeting the same unknown site at once both get the one row; `created` is false for the second.
     */
    createUnknown(site: string, now: number): Promise<SiteRow & { created: boolean }> {
      return inTransaction(sql, async (tx) => {
        const settings = { id: site, name: site, region: 'unknown', company: '', registered: false, allocationKw: 0, hardCapKw: null, tariffPerKwh: defaults.greyTariffPerKwh, tier: 1, autoEnforce: null };
        const [inserted] = await insertSite(tx, settings, true, now);
        if (inserted) await putTerms(tx, inserted.id, 0, settings, now);
        return { ...toRow((await byKey(tx, site))!), created: inserted !== undefined };
      });
    },
    async declareLocation(siteId: number, location: DeclaredLocation, now: number): Promise<boolean> {
      const region = location.region ?? null;
      const r = await sql`UPDATE sites SET region = COALESCE(${region}::text, region), region_declared = CASE WHEN ${region}::text IS NULL THEN region_declared ELSE true END,
        latitude = COALESCE(${location.latitude ?? null}::float8, latitude), longitude = COALESCE(${location.longitude ?? null}::float8, longitude), updated_at = ${now}
        WHERE id = ${siteId} AND flagged AND (region = 'unknown' OR region_declared)`;
      return r.count > 0;
    },
    async terms(siteId: number): Promise<SiteTerms[]> {
      return (await sql<RawTerms[]>`SELECT * FROM site_terms WHERE site_id = ${siteId} ORDER BY effective_from`).map(toTerms);
    },
    async allTerms(): Promise<Map<number, SiteTerms[]>> {
      const out = new Map<number, SiteTerms[]>();
      for (const r of await sql<RawTerms[]>`SELECT * FROM site_terms ORDER BY site_id, effective_from`) {
        const list = out.get(r.site_id);
        if (list) list.push(toTerms(r));
        else out.set(r.site_id, [toTerms(r)]);
      }
      return out;
    },
    applyDueTerms(since: number, now: number): Promise<number[]> {
      return inTransaction(sql, async (tx) => {
        const ids = (await tx<{ site_id: number }[]>`SELECT DISTINCT site_id FROM site_terms WHERE effective_from > ${since} AND effective_from <= ${now} ORDER BY site_id`).map((r) => r.site_id);
        for (const id of ids) await syncCurrent(tx, id, now);
        return ids;
      });
    },
  };
}
