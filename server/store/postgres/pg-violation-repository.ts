import type { ViolationRepository, ViolationRow } from '../violation-repository.js';
import type { AsyncOf } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';

interface Raw { id: number; site: string; site_id: number; opened_at: number; closed_at: number | null; allocation_kw: number; threshold_kw: number; peak_kw: number; energy_over_kwh: number; enforced_revision: number | null }

const toRow = (r: Raw, now: number): ViolationRow => {
  const openedAt = r.opened_at;
  const closedAt = r.closed_at;
  return {
    id: r.id, site: r.site, siteId: r.site_id, openedAt, closedAt, allocationKw: r.allocation_kw, thresholdKw: r.threshold_kw,
    peakKw: r.peak_kw, energyOverKwh: r.energy_over_kwh, durationS: ((closedAt ?? now) - openedAt) / 1000, enforcedRevision: r.enforced_revision,
  };
};

/** ViolationRepository on PostgreSQL: same methods and results as the SQLite one, each returning a Promise. */
export function createPgViolationRepository(sql: PgQueryable): AsyncOf<ViolationRepository> {
  const select = () => sql`SELECT v.*, s.site AS site FROM violations v JOIN sites s ON s.id = v.site_id`;
  return {
    async open(v) {
      const [r] = await sql<Array<{ id: number }>>`INSERT INTO violations (site_id, opened_at, allocation_kw, threshold_kw, peak_kw, energy_over_kwh)
        VALUES (${v.siteId}, ${v.openedAt}, ${v.allocationKw}, ${v.thresholdKw}, ${v.peakKw}, ${v.energyOverKwh}) RETURNING id`;
      return r!.id;
    },
    async update(id, v) {
      await sql`UPDATE violations SET peak_kw = ${v.peakKw}, energy_over_kwh = ${v.energyOverKwh}, closed_at = ${v.closedAt} WHERE id = ${id}`;
    },
    async setEnforced(id, revision) {
      await sql`UPDATE violations SET enforced_revision = ${revision} WHERE id = ${id}`;
    },
    async listOpen(now) {
      return (await sql<Raw[]>`${select()} WHERE v.closed_at IS NULL`).map((r) => toRow(r, now));
    },
    async list(q, now) {
      const rows = await sql<Raw[]>`${select()}
        WHERE (${q.site ?? null}::text IS NULL OR s.site = ${q.site ?? null}::text) AND (NOT ${q.open === true}::boolean OR v.closed_at IS NULL)
          AND v.opened_at >= ${q.from ?? 0}::bigint AND v.opened_at < ${q.to ?? Number.MAX_SAFE_INTEGER}::bigint
        ORDER BY v.opened_at DESC LIMIT ${q.limit ?? 500}`;
      return rows.map((r) => toRow(r, now));
    },
  };
}
