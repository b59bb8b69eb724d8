import type { Db } from './database.js';

export interface ViolationRow {
  id: number;
  site: string;
  siteId: number;
  openedAt: number;
  closedAt: number | null;
  allocationKw: number;
  thresholdKw: number;
  peakKw: number;
  energyOverKwh: number;
  durationS: number;
  enforcedRevision: number | null;
}

interface Raw { id: number; site: string; site_id: number; opened_at: number; closed_at: number | null; allocation_kw: number; threshold_kw: number; peak_kw: number; energy_over_kwh: number; enforced_revision: number | null }

export type ViolationRepository = ReturnType<typeof createViolationRepository>;

export function createViolationRepository(db: Db) {
  const insert = db.prepare(`INSERT INTO violations (site_id, opened_at, allocation_kw, threshold_kw, peak_kw, energy_over_kwh)
    VALUES (@siteId, @openedAt, @allocationKw, @thresholdKw, @peakKw, @energyOverKwh)`);
  const update = db.prepare('UPDATE violations SET peak_kw = @peakKw, energy_over_kwh = @energyOverKwh, closed_at = @closedAt WHERE id = @id');
  const enforce = db.prepare<[number, number]>('UPDATE violations SET enforced_revision = ? WHERE id = ?');
  const open = db.prepare<[], Raw>('SELECT v.*, s.site AS site FROM violations v JOIN sites s ON s.id = v.site_id WHERE v.closed_at IS NULL');
  const list = db.prepare<{ site: string | null; open: number; from: number; to: number; limit: number }, Raw>(
    `SELECT v.*, s.site AS site FROM violations v JOIN sites s ON s.id = v.site_id
     WHERE (@site IS NULL OR s.site = @site) AND (@open = 0 OR v.closed_at IS NULL) AND v.opened_at >= @from AND v.opened_at < @to
     ORDER BY v.opened_at DESC LIMIT @limit`);
  const toRow = (r: Raw, now: number): ViolationRow => ({
    id: r.id, site: r.site, siteId: r.site_id, openedAt: r.opened_at, closedAt: r.closed_at, allocationKw: r.allocation_kw, thresholdKw: r.threshold_kw,
    peakKw: r.peak_kw, energyOverKwh: r.energy_over_kwh, durationS: ((r.closed_at ?? now) - r.opened_at) / 1000, enforcedRevision: r.enforced_revision,
  });
  return {
    open(v: { siteId: number; openedAt: number; allocationKw: number; thresholdKw: number; peakKw: number; energyOverKwh: number }): number {
      return Number(insert.run(v).lastInsertRowid);
    },
    update(id: number, v: { peakKw: number; energyOverKwh: number; closedAt: number | null }): void {
      update.run({ id, ...v });
    },
    setEnforced(id: number, revision: number): void {
      enforce.run(revision, id);
    },
    listOpen(now: number): ViolationRow[] {
      return open.all().map((r) => toRow(r, now));
    },
    list(q: { site?: string; open?: boolean; from?: number; to?: number; limit?: number }, now: number): ViolationRow[] {
      return list.all({ site: q.site ?? null, open: q.open ? 1 : 0, from: q.from ?? 0, to: q.to ?? Number.MAX_SAFE_INTEGER, limit: q.limit ?? 500 }).map((r) => toRow(r, now));
    },
  };
}
