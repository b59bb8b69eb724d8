import type { SiteSettings } from '../config/collector-config.js';
import type { Db } from './database.js';

export interface SiteRow {
  id: number;
  site: string;
  name: string;
  region: string;
  /** The region came from the site's own agent (birth), not from a person. */
  regionDeclared: boolean;
  latitude: number | null;
  longitude: number | null;
  company: string;
  registered: boolean;
  /** Terms in force now (site_terms holds their history and future changes). */
  allocationKw: number;
  hardCapKw: number | null;
  tariffPerKwh: number;
  tier: number;
  autoEnforce: boolean | null;
  flagged: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Allocation, hard cap and tariff from a time on: the effective-dated part of a site. */
export interface SiteTerms {
  effectiveFrom: number;
  allocationKw: number;
  hardCapKw: number | null;
  tariffPerKwh: number;
  changedAt: number;
}

interface RawSite {
  id: number; site: string; name: string; region: string; company: string; registered: number;
  allocation_kw: number; hard_cap_kw: number | null; tariff_per_kwh: number; tier: number;
  auto_enforce: number | null; flagged: number; created_at: number; updated_at: number;
  region_declared: number; latitude: number | null; longitude: number | null;
}
interface RawTerms { site_id: number; effective_from: number; allocation_kw: number; hard_cap_kw: number | null; tariff_per_kwh: number; changed_at: number }

function toRow(r: RawSite): SiteRow {
  return {
    id: r.id, site: r.site, name: r.name, region: r.region, regionDeclared: r.region_declared === 1, latitude: r.latitude, longitude: r.longitude,
    company: r.company, registered: r.registered === 1,
    allocationKw: r.allocation_kw, hardCapKw: r.hard_cap_kw, tariffPerKwh: r.tariff_per_kwh, tier: r.tier,
    autoEnforce: r.auto_enforce === null ? null : r.auto_enforce === 1, flagged: r.flagged === 1,
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}
const toTerms = (r: RawTerms): SiteTerms => ({ effectiveFrom: r.effective_from, allocationKw: r.allocation_kw, hardCapKw: r.hard_cap_kw, tariffPerKwh: r.tariff_per_kwh, changedAt: r.changed_at });

export type SiteRepository = ReturnType<typeof createSiteRepository>;

export interface SiteDefaults {
  /** Tariff of a site created because an unknown site reported (grey miners pay it too). */
  greyTariffPerKwh: number;
}

/** What an agent declared about where its site stands (birth `location`). */
export interface DeclaredLocation {
  region?: string | undefined;
  latitude?: number | undefined;
  longitude?: number | undefined;
}

/**
 * All SQL about the site registry. The allocation, hard cap and tariff are
 * effective-dated (site_terms); the sites row carries the terms in force now,
 * brought up to date when a change is made and when a dated one comes due.
 */
export function createSiteRepository(db: Db, defaults: SiteDefaults = { greyTariffPerKwh: 0 }) {
  const byKey = db.prepare<[string], RawSite>('SELECT * FROM sites WHERE site = ?');
  const byId = db.prepare<[number], RawSite>('SELECT * FROM sites WHERE id = ?');
  const all = db.prepare<[], RawSite>('SELECT * FROM sites ORDER BY site');
  const insertSql = `INSERT INTO sites (site, name, region, company, registered, allocation_kw, hard_cap_kw, tariff_per_kwh, tier, auto_enforce, flagged, region_declared, latitude, longitude, created_at, updated_at)
    VALUES (@site, @name, @region, @company, @registered, @allocationKw, @hardCapKw, @tariffPerKwh, @tier, @autoEnforce, @flagged, @regionDeclared, @latitude, @longitude, @now, @now)`;
  const insert = db.prepare(insertSql);
  // Collectors of a share group can meet a new site at the same moment: the second takes the first's row.
  const insertUnknown = db.prepare(`${insertSql} ON CONFLICT (site) DO NOTHING`);
  const update = db.prepare(`UPDATE sites SET name=@name, region=@region, company=@company, registered=@registered,
    tier=@tier, auto_enforce=@autoEnforce, flagged=@flagged, region_declared=@regionDeclared, updated_at=@now WHERE site=@site`);
  const setCurrentTerms = db.prepare('UPDATE sites SET allocation_kw=@allocationKw, hard_cap_kw=@hardCapKw, tariff_per_kwh=@tariffPerKwh WHERE id=@id');
  const termsAt = db.prepare<[number, number], RawTerms>('SELECT * FROM site_terms WHERE site_id = ? AND effective_from <= ? ORDER BY effective_from DESC LIMIT 1');
  const termsOf = db.prepare<[number], RawTerms>('SELECT * FROM site_terms WHERE site_id = ? ORDER BY effective_from');
  const allTerms = db.prepare<[], RawTerms>('SELECT * FROM site_terms ORDER BY site_id, effective_from');
  const putTerms = db.prepare(`INSERT INTO site_terms (site_id, effective_from, allocation_kw, hard_cap_kw, tariff_per_kwh, changed_at)
    VALUES (@siteId, @effectiveFrom, @allocationKw, @hardCapKw, @tariffPerKwh, @changedAt)
    ON CONFLICT (site_id, effective_from) DO UPDATE SET allocation_kw = excluded.allocation_kw, hard_cap_kw = excluded.hard_cap_kw,
      tariff_per_kwh = excluded.tariff_per_kwh, changed_at = excluded.changed_at`);
  const dueTerms = db.prepare<[number, number], { site_id: number }>('SELECT DISTINCT site_id FROM site_terms WHERE effective_from > ? AND effective_from <= ?');
  const declare = db.prepare(`UPDATE sites SET region = COALESCE(@region, region), region_declared = CASE WHEN @region IS NULL THEN region_declared ELSE 1 END,
    latitude = COALESCE(@latitude, latitude), longitude = COALESCE(@longitude, longitude), updated_at = @now
    WHERE id = @id AND flagged = 1 AND (region = 'unknown' OR region_declared = 1)`);

  const bind = (s: SiteSettings, flagged: boolean, now: number, regionDeclared = false) => ({
    site: s.id, name: s.name, region: s.region, company: s.company, registered: s.registered ? 1 : 0,
    allocationKw: s.allocationKw, hardCapKw: s.hardCapKw, tariffPerKwh: s.tariffPerKwh, tier: s.tier,
    autoEnforce: s.autoEnforce === null ? null : s.autoEnforce ? 1 : 0, flagged: flagged ? 1 : 0, regionDeclared: regionDeclared ? 1 : 0,
    latitude: null as number | null, longitude: null as number | null, now,
  });

  /** Writes the terms in force at `now` into the sites row. */
  function syncCurrent(siteId: number, now: number): void {
    const t = termsAt.get(siteId, now);
    if (t) setCurrentTerms.run({ id: siteId, allocationKw: t.allocation_kw, hardCapKw: t.hard_cap_kw, tariffPerKwh: t.tariff_per_kwh });
  }

  return {
    get(site: string): SiteRow | undefined {
      const r = byKey.get(site);
      return r && toRow(r);
    },
    getById(id: number): SiteRow | undefined {
      const r = byId.get(id);
      return r && toRow(r);
    },
    list(): SiteRow[] {
      return all.all().map(toRow);
    },
    /**
     * Creates or replaces a site's settings; a person registering a site clears the
     * unknown-site flag and the declared mark of its region. Allocation, hard cap and
     * tariff apply from `effectiveFrom` (default now; a new site's first terms have no
     * start): fees and limits before that keep the terms then in force.
     */
    upsert(settings: SiteSettings, now: number, effectiveFrom = now): { row: SiteRow; created: boolean } {
      return db.transaction(() => {
        const existing = byKey.get(settings.id);
        if (existing) update.run(bind(settings, false, now)); // a person registered it: the region is theirs now, not declared
        else insert.run(bind(settings, false, now));
        const id = byKey.get(settings.id)!.id;
        const before = existing ? termsAt.get(id, effectiveFrom) : undefined;
        const same = before && before.allocation_kw === settings.allocationKw && before.hard_cap_kw === settings.hardCapKw && before.tariff_per_kwh === settings.tariffPerKwh;
        if (!same) putTerms.run({ siteId: id, effectiveFrom: existing ? effectiveFrom : 0, allocationKw: settings.allocationKw, hardCapKw: settings.hardCapKw, tariffPerKwh: settings.tariffPerKwh, changedAt: now });
        syncCurrent(id, now);
        return { row: toRow(byKey.get(settings.id)!), created: !existing };
      })();
    },
    /**
     * An unknown site that reported: created unregistered and flagged, in region `unknown` until its agent declares one.
     * `created` is false when another collector of the share group created it first.
     */
    createUnknown(site: string, now: number): SiteRow & { created: boolean } {
      const settings = { id: site, name: site, region: 'unknown', company: '', registered: false, allocationKw: 0, hardCapKw: null, tariffPerKwh: defaults.greyTariffPerKwh, tier: 1, autoEnforce: null };
      const created = insertUnknown.run(bind(settings, true, now)).changes === 1;
      const row = byKey.get(site)!;
      if (created) putTerms.run({ siteId: row.id, effectiveFrom: 0, allocationKw: 0, hardCapKw: null, tariffPerKwh: defaults.greyTariffPerKwh, changedAt: now });
      return { ...toRow(row), created };
    },
    /**
     * The region and coordinates an agent declared in its birth. Taken only for an
     * unknown (flagged) site whose region no person set; marked as declared.
     * Returns whether the site changed.
     */
    declareLocation(siteId: number, location: DeclaredLocation, now: number): boolean {
      return declare.run({ id: siteId, region: location.region ?? null, latitude: location.latitude ?? null, longitude: location.longitude ?? null, now }).changes > 0;
    },
    /** Every change of a site's terms, oldest first. */
    terms(siteId: number): SiteTerms[] {
      return termsOf.all(siteId).map(toTerms);
    },
    /** Every site's terms history, by site id (for fees over a period). */
    allTerms(): Map<number, SiteTerms[]> {
      const out = new Map<number, SiteTerms[]>();
      for (const r of allTerms.all()) {
        const list = out.get(r.site_id);
        if (list) list.push(toTerms(r));
        else out.set(r.site_id, [toTerms(r)]);
      }
      return out;
    },
    /** Brings the current terms of sites whose dated change came due in (since, now] up to date; returns their ids. */
    applyDueTerms(since: number, now: number): number[] {
      return db.transaction(() => {
        const ids = dueTerms.all(since, now).map((r) => r.site_id);
        for (const id of ids) syncCurrent(id, now);
        return ids;
      })();
    },
  };
}
