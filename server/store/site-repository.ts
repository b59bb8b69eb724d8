import type { SiteSettings } from '../config/collector-config.js';
import type { Db } from './database.js';

export interface SiteRow {
  id: number;
  site: string;
  name: string;
  region: string;
  company: string;
  registered: boolean;
  allocationKw: number;
  hardCapKw: number | null;
  tariffPerKwh: number;
  tier: number;
  autoEnforce: boolean | null;
  flagged: boolean;
  createdAt: number;
  updatedAt: number;
}

interface RawSite {
  id: number; site: string; name: string; region: string; company: string; registered: number;
  allocation_kw: number; hard_cap_kw: number | null; tariff_per_kwh: number; tier: number;
  auto_enforce: number | null; flagged: number; created_at: number; updated_at: number;
}

function toRow(r: RawSite): SiteRow {
  return {
    id: r.id, site: r.site, name: r.name, region: r.region, company: r.company, registered: r.registered === 1,
    allocationKw: r.allocation_kw, hardCapKw: r.hard_cap_kw, tariffPerKwh: r.tariff_per_kwh, tier: r.tier,
    autoEnforce: r.auto_enforce === null ? null : r.auto_enforce === 1, flagged: r.flagged === 1,
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export type SiteRepository = ReturnType<typeof createSiteRepository>;

export interface SiteDefaults {
  /** Tariff of a site created because an unknown site reported (grey miners pay it too). */
  greyTariffPerKwh: number;
}

/** All SQL about the site registry. */
export function createSiteRepository(db: Db, defaults: SiteDefaults = { greyTariffPerKwh: 0 }) {
  const byKey = db.prepare<[string], RawSite>('SELECT * FROM sites WHERE site = ?');
  const byId = db.prepare<[number], RawSite>('SELECT * FROM sites WHERE id = ?');
  const all = db.prepare<[], RawSite>('SELECT * FROM sites ORDER BY site');
  const insert = db.prepare(`INSERT INTO sites (site, name, region, company, registered, allocation_kw, hard_cap_kw, tariff_per_kwh, tier, auto_enforce, flagged, created_at, updated_at)
    VALUES (@site, @name, @region, @company, @registered, @allocationKw, @hardCapKw, @tariffPerKwh, @tier, @autoEnforce, @flagged, @now, @now)`);
  const update = db.prepare(`UPDATE sites SET name=@name, region=@region, company=@company, registered=@registered, allocation_kw=@allocationKw,
    hard_cap_kw=@hardCapKw, tariff_per_kwh=@tariffPerKwh, tier=@tier, auto_enforce=@autoEnforce, flagged=@flagged, updated_at=@now WHERE site=@site`);

  const bind = (s: SiteSettings, flagged: boolean, now: number) => ({
    site: s.id, name: s.name, region: s.region, company: s.company, registered: s.registered ? 1 : 0,
    allocationKw: s.allocationKw, hardCapKw: s.hardCapKw, tariffPerKwh: s.tariffPerKwh, tier: s.tier,
    autoEnforce: s.autoEnforce === null ? null : s.autoEnforce ? 1 : 0, flagged: flagged ? 1 : 0, now,
  });

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
    /** Creates or replaces a site's settings; a person registering a site clears the unknown-site flag. */
    upsert(settings: SiteSettings, now: number): { row: SiteRow; created: boolean } {
      const existing = byKey.get(settings.id);
      if (existing) update.run(bind(settings, false, now));
      else insert.run(bind(settings, false, now));
      return { row: toRow(byKey.get(settings.id)!), created: !existing };
    },
    /** An unknown site that reported: created unregistered and flagged. */
    createUnknown(site: string, now: number): SiteRow {
      insert.run(bind({ id: site, name: site, region: 'unknown', company: '', registered: false, allocationKw: 0, hardCapKw: null, tariffPerKwh: defaults.greyTariffPerKwh, tier: 1, autoEnforce: null }, true, now));
      return toRow(byKey.get(site)!);
    },
  };
}
