import type { TariffPeriod } from '../../billing/day-fee.js';
import { energyRowOf, needsSlices, startOfDay } from '../energy-fee.js';
import { DAY, dayOf, HOUR, MINUTE, type EnergyRow, type RollupRepository, type SeriesPoint } from '../rollup-repository.js';
import type { AsyncOf } from '../store-port.js';
import { pgArray } from './pg-arrays.js';
import { inTransaction, type PgQueryable, type PgTx } from './pg-connect.js';
import { dayStartOf, type PartitionManager } from './pg-partitions.js';

type Dirty = { siteId: number; bucket: number };

const LOG_DELETE_SLICE = 50_000;

/** Distinct (site, bucket) pairs, each bucket floored to `span`: one statement must not upsert a row twice. */
function distinctBuckets(dirty: Iterable<Dirty>, span: number): { sites: number[]; buckets: number[] } {
  const seen = new Map<string, Dirty>();
  for (const d of dirty) {
    const bucket = Math.floor(d.bucket / span) * span;
    seen.set(`${d.siteId}:${bucket}`, { siteId: d.siteId, bucket });
  }
  const list = [...seen.values()].sort((a, b) => a.siteId - b.siteId || a.bucket - b.bucket);
  return { sites: list.map((d) => d.siteId), buckets: list.map((d) => d.bucket) };
}

/**
 * Rollups and daily energy on PostgreSQL (rollup-repository.ts, same sums).
 * A refresh is three set-based statements per chunk (minutes, their hours, their
 * days) over the dirty buckets passed as arrays, not one statement per bucket.
 */
export function createPgRollupRepository(sql: PgQueryable, partitions: PartitionManager): AsyncOf<RollupRepository> {
  async function refreshChunk(tx: PgTx, dirty: Dirty[]): Promise<void> {
    const m = distinctBuckets(dirty, MINUTE);
    await tx`INSERT INTO rollup_1m (site_id, bucket, kw_avg, kw_max, miner_kw_avg, ths_avg, meter_kwh_min, meter_kwh_max, n)
      SELECT d.site_id, d.bucket, SUM(x.kw), SUM(x.kw_max), SUM(x.mkw), SUM(x.ths), SUM(x.kmin), SUM(x.kmax), SUM(x.n)::int
      FROM unnest(${pgArray(tx, 'bigint', m.sites)}::bigint[], ${pgArray(tx, 'bigint', m.buckets)}::bigint[]) AS d(site_id, bucket)
      CROSS JOIN LATERAL (
        SELECT AVG(COALESCE(meter_kw, miner_kw)) AS kw, MAX(COALESCE(meter_kw, miner_kw)) AS kw_max, AVG(miner_kw) AS mkw,
               AVG(hashrate_ths) AS ths, MIN(meter_kwh) AS kmin, MAX(meter_kwh) AS kmax, COUNT(*) AS n
        FROM samples s WHERE s.site_id = d.site_id AND s.ts >= d.bucket AND s.ts < d.bucket + ${MINUTE} GROUP BY s.agent_id) x
      GROUP BY d.site_id, d.bucket
      ON CONFLICT (site_id, bucket) DO UPDATE SET kw_avg = excluded.kw_avg, kw_max = excluded.kw_max, miner_kw_avg = excluded.miner_kw_avg,
        ths_avg = excluded.ths_avg, meter_kwh_min = excluded.meter_kwh_min, meter_kwh_max = excluded.meter_kwh_max, n = excluded.n`;
    const h = distinctBuckets(dirty, HOUR);
    await tx`INSERT INTO rollup_1h (site_id, bucket, kw_avg, kw_max, miner_kw_avg, ths_avg, meter_kwh_min, meter_kwh_max, n, kwh, minutes, metered_minutes)
      SELECT d.site_id, d.bucket, AVG(r.kw_avg), MAX(r.kw_max), AVG(r.miner_kw_avg), AVG(r.ths_avg), MIN(r.meter_kwh_min), MAX(r.meter_kwh_max), SUM(r.n)::int,
             SUM(r.kw_avg) / 60.0, COUNT(*)::int, COUNT(r.meter_kwh_max)::int
      FROM unnest(${pgArray(tx, 'bigint', h.sites)}::bigint[], ${pgArray(tx, 'bigint', h.buckets)}::bigint[]) AS d(site_id, bucket)
      JOIN rollup_1m r ON r.site_id = d.site_id AND r.bucket >= d.bucket AND r.bucket < d.bucket + ${HOUR}
      GROUP BY d.site_id, d.bucket
      ON CONFLICT (site_id, bucket) DO UPDATE SET kw_avg = excluded.kw_avg, kw_max = excluded.kw_max, miner_kw_avg = excluded.miner_kw_avg,
        ths_avg = excluded.ths_avg, meter_kwh_min = excluded.meter_kwh_min, meter_kwh_max = excluded.meter_kwh_max, n = excluded.n,
        kwh = excluded.kwh, minutes = excluded.minutes, metered_minutes = excluded.metered_minutes`;
    // Meter counters when every covered minute had them (difference of the counter over the
    // day), else the integral of the minute averages (a minute with samples counts in full).
    const d = distinctBuckets(dirty, DAY);
    await tx`INSERT INTO energy_daily (site_id, day, kwh, source, minutes)
      SELECT d.site_id, d.day,
        CASE WHEN SUM(r.metered_minutes) = SUM(r.minutes) THEN MAX(r.meter_kwh_max) - MIN(r.meter_kwh_min) ELSE SUM(r.kwh) END,
        CASE WHEN SUM(r.metered_minutes) = SUM(r.minutes) THEN 'meter' ELSE 'integrated' END,
        SUM(r.minutes)::int
      FROM unnest(${pgArray(tx, 'bigint', d.sites)}::bigint[], ${pgArray(tx, 'bigint', d.buckets)}::bigint[], ${pgArray(tx, 'text', d.buckets.map(dayOf))}::text[]) AS d(site_id, bucket, day)
      JOIN rollup_1h r ON r.site_id = d.site_id AND r.bucket >= d.bucket AND r.bucket < d.bucket + ${DAY}
      GROUP BY d.site_id, d.day
      ON CONFLICT (site_id, day) DO UPDATE SET kwh = excluded.kwh, source = excluded.source, minutes = excluded.minutes`;
  }

  const refreshNow = async (dirty: Iterable<Dirty>): Promise<number> => {
    const list = [...dirty];
    if (list.length) await inTransaction(sql, (tx) => refreshChunk(tx, list));
    return list.length;
  };

  const slicesOf = async (siteId: number, from: number) => {
    const minutes = await sql<{ bucket: number; kwh: number }[]>`SELECT bucket, kw_avg / 60.0 AS kwh FROM rollup_1m WHERE site_id = ${siteId} AND bucket >= ${from} AND bucket < ${from + DAY}`;
    if (minutes.length) return { spanMs: MINUTE, buckets: minutes };
    return { spanMs: HOUR, buckets: await sql<{ bucket: number; kwh: number }[]>`SELECT bucket, kwh FROM rollup_1h WHERE site_id = ${siteId} AND bucket >= ${from} AND bucket < ${from + DAY}` };
  };

  return {
    /** In transactions of at most `chunk` minutes, so other writers are not held up behind one long refresh. */
    async refresh(dirty: Dirty[], chunk = 500): Promise<number> {
      for (let i = 0; i < dirty.length; i += chunk) await refreshNow(dirty.slice(i, i + chunk));
      return dirty.length;
    },
    refreshNow,
    async series(siteId: number, from: number, to: number, step: number): Promise<SeriesPoint[]> {
      type Raw = { b: number; kw: number; kw_max: number; mkw: number; ths: number };
      const rollup = (table: 'rollup_1m' | 'rollup_1h') =>
        sql<Raw[]>`SELECT (bucket / ${step}::bigint) * ${step}::bigint AS b, AVG(kw_avg) AS kw, MAX(kw_max) AS kw_max, AVG(miner_kw_avg) AS mkw, AVG(ths_avg) AS ths
          FROM ${sql(table)} WHERE site_id = ${siteId} AND bucket >= ${from} AND bucket < ${to} GROUP BY b ORDER BY b`;
      const rows = step >= HOUR && step % HOUR === 0 ? await rollup('rollup_1h') : step >= MINUTE && step % MINUTE === 0 ? await rollup('rollup_1m') : await sql<Raw[]>`
        SELECT b, SUM(kw) AS kw, SUM(kw_max) AS kw_max, SUM(mkw) AS mkw, SUM(ths) AS ths FROM (
          SELECT (ts / ${step}::bigint) * ${step}::bigint AS b, agent_id, AVG(COALESCE(meter_kw, miner_kw)) AS kw, MAX(COALESCE(meter_kw, miner_kw)) AS kw_max,
                 AVG(miner_kw) AS mkw, AVG(hashrate_ths) AS ths
          FROM samples WHERE site_id = ${siteId} AND ts >= ${from} AND ts < ${to} GROUP BY b, agent_id) x
        GROUP BY b ORDER BY b`;
      return rows.map((r) => ({ ts: r.b, kw: r.kw, kwMax: r.kw_max, minerKw: r.mkw, hashrateThs: r.ths }));
    },
    async energy(fromDay: string, toDay: string, tariffs: Map<number, TariffPeriod[]>): Promise<EnergyRow[]> {
      const rows = await sql<{ site_id: number; site: string; day: string; kwh: number; source: 'meter' | 'integrated'; minutes: number; registered: boolean }[]>`
        SELECT e.site_id, s.site, e.day, e.kwh, e.source, e.minutes, s.registered FROM energy_daily e JOIN sites s ON s.id = e.site_id
        WHERE e.day >= ${fromDay} AND e.day <= ${toDay} ORDER BY e.day, s.site COLLATE "C"`;
      const out: EnergyRow[] = [];
      for (const r of rows) {
        const periods = tariffs.get(r.site_id) ?? [];
        const day = { siteId: r.site_id, site: r.site, day: r.day, kwh: r.kwh, source: r.source, minutes: r.minutes, registered: r.registered };
        out.push(needsSlices(r.day, periods) ? energyRowOf(day, periods, await slicesOf(r.site_id, startOfDay(r.day))) : energyRowOf(day, periods));
      }
      return out;
    },
    /**
     * Raw samples (and per-miner detail) go by whole day partitions: a day is
     * dropped once all of it is past `raw`, so rows are kept the retention period
     * rounded up to the day, without a DELETE over millions of rows. `samples` is
     * then PostgreSQL's row estimate of the partitions dropped (counting them would
     * read them). Rollups and the idempotency log are deleted by time.
     */
    async applyRetention(siteIds: number[], cutoffs: { raw: number; m1: number; h1: number }): Promise<{ samples: number; log: number }> {
      const dropped = await partitions.dropBefore(cutoffs.raw);
      // Pointers to detail in the days just dropped: that detail is gone.
      await sql`DELETE FROM miner_detail_latest WHERE ts < ${dayStartOf(cutoffs.raw)}`;
      const samples = dropped.filter((p) => p.table === 'samples').reduce((n, p) => n + p.estimatedRows, 0);
      const ids = pgArray(sql, 'bigint', siteIds);
      await sql`DELETE FROM rollup_1m WHERE site_id = ANY(${ids}::bigint[]) AND bucket < ${cutoffs.m1}`;
      await sql`DELETE FROM rollup_1h WHERE site_id = ANY(${ids}::bigint[]) AND bucket < ${cutoffs.h1}`;
      // The idempotency log loses about a day of rows per day: deleted in slices, so no one
      // statement holds millions of row locks or a long transaction next to ingest.
      let log = 0;
      for (;;) {
        const slice = await sql`DELETE FROM telemetry_log WHERE (agent_id, session, seq) IN (
          SELECT agent_id, session, seq FROM telemetry_log WHERE received_at < ${cutoffs.raw} LIMIT ${LOG_DELETE_SLICE})`;
        log += slice.count;
        if (slice.count < LOG_DELETE_SLICE) break;
      }
      return { samples, log };
    },
  };
}
