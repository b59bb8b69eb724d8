import type { TariffPeriod } from '../billing/day-fee.js';
import { energyRowOf, needsSlices, startOfDay, type EnergyDay } from './energy-fee.js';
import type { Db } from './database.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface SeriesPoint {
  ts: number;
  kw: number;
  kwMax: number;
  minerKw: number;
  hashrateThs: number;
}

export interface EnergyRow {
  site: string;
  day: string;
  kwh: number;
  source: 'meter' | 'integrated';
  minutes: number;
  tariffPerKwh: number;
  fee: number;
  registered: boolean;
}

export function dayOf(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

export type RollupRepository = ReturnType<typeof createRollupRepository>;

/**
 * Rollups and daily energy. Site kW is the meter where there is one, else the
 * miner sum; a site with several agents (segments) sums its agents' averages.
 */
export function createRollupRepository(db: Db) {
  const minute = db.prepare(`INSERT OR REPLACE INTO rollup_1m (site_id, bucket, kw_avg, kw_max, miner_kw_avg, ths_avg, meter_kwh_min, meter_kwh_max, n)
    SELECT @siteId, @bucket, SUM(kw), SUM(kw_max), SUM(mkw), SUM(ths), SUM(kmin), SUM(kmax), SUM(n) FROM (
      SELECT AVG(COALESCE(meter_kw, miner_kw)) AS kw, MAX(COALESCE(meter_kw, miner_kw)) AS kw_max, AVG(miner_kw) AS mkw,
             AVG(hashrate_ths) AS ths, MIN(meter_kwh) AS kmin, MAX(meter_kwh) AS kmax, COUNT(*) AS n
      FROM samples WHERE site_id = @siteId AND ts >= @bucket AND ts < @bucket + ${MINUTE} GROUP BY agent_id)
    HAVING COUNT(*) > 0`);
  const hour = db.prepare(`INSERT OR REPLACE INTO rollup_1h (site_id, bucket, kw_avg, kw_max, miner_kw_avg, ths_avg, meter_kwh_min, meter_kwh_max, n, kwh, minutes, metered_minutes)
    SELECT site_id, @bucket, AVG(kw_avg), MAX(kw_max), AVG(miner_kw_avg), AVG(ths_avg), MIN(meter_kwh_min), MAX(meter_kwh_max), SUM(n),
           SUM(kw_avg) / 60.0, COUNT(*), COUNT(meter_kwh_max)
    FROM rollup_1m WHERE site_id = @siteId AND bucket >= @bucket AND bucket < @bucket + ${HOUR} GROUP BY site_id`);
  // Meter counters when every covered minute had them (difference of the counter over the
  // day), else the integral of the minute averages (a minute with samples counts in full).
  const energy = db.prepare(`INSERT OR REPLACE INTO energy_daily (site_id, day, kwh, source, minutes)
    SELECT site_id, @day,
      CASE WHEN SUM(metered_minutes) = SUM(minutes) THEN MAX(meter_kwh_max) - MIN(meter_kwh_min) ELSE SUM(kwh) END,
      CASE WHEN SUM(metered_minutes) = SUM(minutes) THEN 'meter' ELSE 'integrated' END,
      SUM(minutes)
    FROM rollup_1h WHERE site_id = @siteId AND bucket >= @from AND bucket < @from + ${DAY} GROUP BY site_id`);
  const energyRange = db.prepare<[string, string], { site_id: number; site: string; day: string; kwh: number; source: 'meter' | 'integrated'; minutes: number; registered: number }>(
    `SELECT e.site_id, s.site, e.day, e.kwh, e.source, e.minutes, s.registered FROM energy_daily e JOIN sites s ON s.id = e.site_id
     WHERE e.day >= ? AND e.day <= ? ORDER BY e.day, s.site`);
  const hoursOfDay = db.prepare<{ siteId: number; from: number }, { bucket: number; kwh: number }>(`SELECT bucket, kwh FROM rollup_1h WHERE site_id = @siteId AND bucket >= @from AND bucket < @from + ${DAY}`);
  const minutesOfDay = db.prepare<{ siteId: number; from: number }, { bucket: number; kwh: number }>(`SELECT bucket, kw_avg / 60.0 AS kwh FROM rollup_1m WHERE site_id = @siteId AND bucket >= @from AND bucket < @from + ${DAY}`);

  const rawSeries = db.prepare<{ siteId: number; from: number; to: number; step: number }, { b: number; kw: number; kw_max: number; mkw: number; ths: number }>(
    `SELECT b, SUM(kw) AS kw, SUM(kw_max) AS kw_max, SUM(mkw) AS mkw, SUM(ths) AS ths FROM (
       SELECT (ts / CAST(@step AS INTEGER)) * CAST(@step AS INTEGER) AS b, agent_id, AVG(COALESCE(meter_kw, miner_kw)) AS kw, MAX(COALESCE(meter_kw, miner_kw)) AS kw_max,
              AVG(miner_kw) AS mkw, AVG(hashrate_ths) AS ths
       FROM samples WHERE site_id = @siteId AND ts >= @from AND ts < @to GROUP BY b, agent_id)
     GROUP BY b ORDER BY b`);
  const rollupSeries = (table: string) =>
    db.prepare<{ siteId: number; from: number; to: number; step: number }, { b: number; kw: number; kw_max: number; mkw: number; ths: number }>(
      `SELECT (bucket / CAST(@step AS INTEGER)) * CAST(@step AS INTEGER) AS b, AVG(kw_avg) AS kw, MAX(kw_max) AS kw_max, AVG(miner_kw_avg) AS mkw, AVG(ths_avg) AS ths
       FROM ${table} WHERE site_id = @siteId AND bucket >= @from AND bucket < @to GROUP BY b ORDER BY b`);
  const series1m = rollupSeries('rollup_1m');
  const series1h = rollupSeries('rollup_1h');

  return {
    /**
     * Recomputes the given minute buckets, then the hours and days they fall in, in
     * transactions of at most `chunk` minutes with a yield to the event loop between
     * them: 10,000 sites' worth of minutes must not stall ingest for seconds.
     */
    async refresh(dirty: Array<{ siteId: number; bucket: number }>, chunk = 500): Promise<number> {
      for (let i = 0; i < dirty.length; i += chunk) {
        this.refreshNow(dirty.slice(i, i + chunk));
        if (i + chunk < dirty.length) await new Promise((r) => setImmediate(r));
      }
      return dirty.length;
    },
    /** The same, synchronously (an API read that must see everything committed). */
    refreshNow(dirty: Iterable<{ siteId: number; bucket: number }>): number {
      let n = 0;
      const hours = new Map<string, { siteId: number; bucket: number }>();
      const days = new Map<string, { siteId: number; from: number }>();
      db.transaction(() => {
        for (const d of dirty) {
          minute.run({ siteId: d.siteId, bucket: d.bucket });
          const h = Math.floor(d.bucket / HOUR) * HOUR;
          hours.set(`${d.siteId}:${h}`, { siteId: d.siteId, bucket: h });
          const day = Math.floor(d.bucket / DAY) * DAY;
          days.set(`${d.siteId}:${day}`, { siteId: d.siteId, from: day });
          n++;
        }
        for (const h of hours.values()) hour.run(h);
        for (const d of days.values()) energy.run({ siteId: d.siteId, from: d.from, day: dayOf(d.from) });
      })();
      return n;
    },
    series(siteId: number, from: number, to: number, step: number): SeriesPoint[] {
      const stmt = step >= HOUR && step % HOUR === 0 ? series1h : step >= MINUTE && step % MINUTE === 0 ? series1m : rawSeries;
      return stmt.all({ siteId, from, to, step }).map((r) => ({ ts: r.b, kw: r.kw, kwMax: r.kw_max, minerKw: r.mkw, hashrateThs: r.ths }));
    },
    /**
     * Daily energy and fees. `tariffs` is each site's effective-dated tariff history
     * (site_terms): a day is billed at the tariffs in force during it, hour by hour
     * on a day a change falls in; tariffPerKwh is then the average the fee amounts to.
     */
    energy(fromDay: string, toDay: string, tariffs: Map<number, TariffPeriod[]>): EnergyRow[] {
      return energyRange.all(fromDay, toDay).map((r) => {
        const periods = tariffs.get(r.site_id) ?? [];
        const day: EnergyDay = { siteId: r.site_id, site: r.site, day: r.day, kwh: r.kwh, source: r.source, minutes: r.minutes, registered: r.registered === 1 };
        if (!needsSlices(r.day, periods)) return energyRowOf(day, periods);
        // Minutes while they are kept (retention.rollup1mDays), hours after.
        const from = startOfDay(r.day);
        const minutes = minutesOfDay.all({ siteId: r.site_id, from });
        return energyRowOf(day, periods, minutes.length ? { spanMs: MINUTE, buckets: minutes } : { spanMs: HOUR, buckets: hoursOfDay.all({ siteId: r.site_id, from }) });
      });
    },
    /** Deletes rows older than each table's retention; per site so deletes walk the primary key. */
    applyRetention(siteIds: number[], cutoffs: { raw: number; m1: number; h1: number }): { samples: number; log: number } {
      let samples = 0;
      const delSamples = db.prepare<[number, number]>('DELETE FROM samples WHERE site_id = ? AND ts < ?');
      const del1m = db.prepare<[number, number]>('DELETE FROM rollup_1m WHERE site_id = ? AND bucket < ?');
      const del1h = db.prepare<[number, number]>('DELETE FROM rollup_1h WHERE site_id = ? AND bucket < ?');
      for (const id of siteIds) {
        db.transaction(() => {
          samples += delSamples.run(id, cutoffs.raw).changes;
          del1m.run(id, cutoffs.m1);
          del1h.run(id, cutoffs.h1);
        })();
      }
      const log = db.prepare<[number]>('DELETE FROM telemetry_log WHERE received_at < ?').run(cutoffs.raw).changes;
      return { samples, log };
    },
  };
}
