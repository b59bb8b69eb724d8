/** A tariff from a time on (a site's effective-dated terms). */
export interface TariffPeriod {
  effectiveFrom: number;
  tariffPerKwh: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The tariff in force at `ts`: the latest period starting at or before it (0 before any). */
export function tariffAt(periods: readonly TariffPeriod[], ts: number): number {
  let t = 0;
  for (const p of periods) {
    if (p.effectiveFrom <= ts) t = p.tariffPerKwh;
    else break;
  }
  return t;
}

/** Time-weighted tariff over [from, to): a change inside the span counts for the part after it. */
function averageTariff(periods: readonly TariffPeriod[], from: number, to: number): number {
  let sum = 0;
  let cursor = from;
  let current = tariffAt(periods, from);
  for (const p of periods) {
    if (p.effectiveFrom <= from) continue;
    if (p.effectiveFrom >= to) break;
    sum += current * (p.effectiveFrom - cursor);
    cursor = p.effectiveFrom;
    current = p.tariffPerKwh;
  }
  sum += current * (to - cursor);
  return sum / (to - from);
}

/** A day has a tariff change inside it: its fee needs the energy bucket by bucket. */
export function changesWithin(periods: readonly TariffPeriod[], dayStart: number): boolean {
  return periods.some((p) => p.effectiveFrom > dayStart && p.effectiveFrom < dayStart + DAY);
}

/**
 * The fee of one site-day under effective-dated tariffs (pure). Each bucket's
 * energy (1-minute rollups, or hours once those are past retention) is billed at
 * the tariff then in force, time-weighted inside a bucket a change falls in: a
 * change at noon bills the morning at the old tariff. The day's kWh may come from
 * the meter counter rather than the integral; the buckets then only weigh how it
 * splits. Returns the fee and the average tariff it amounts to. `periods` is
 * sorted by effectiveFrom; `spanMs` is the buckets' length.
 */
export function dayFee(dayStart: number, dayKwh: number, buckets: ReadonlyArray<{ bucket: number; kwh: number }>, periods: readonly TariffPeriod[], spanMs = HOUR): { fee: number; tariffPerKwh: number } {
  const opening = tariffAt(periods, dayStart);
  if (!changesWithin(periods, dayStart)) return { fee: dayKwh * opening, tariffPerKwh: opening };
  const bucketKwh = buckets.reduce((a, h) => a + Math.max(0, h.kwh), 0);
  if (bucketKwh <= 0 || dayKwh <= 0) return { fee: 0, tariffPerKwh: opening };
  const weighted = buckets.reduce((a, h) => a + Math.max(0, h.kwh) * averageTariff(periods, h.bucket, h.bucket + spanMs), 0);
  const fee = (weighted / bucketKwh) * dayKwh;
  return { fee, tariffPerKwh: fee / dayKwh };
}
