import { changesWithin, dayFee, type TariffPeriod } from '../billing/day-fee.js';

/** One site-day of energy_daily with its site, as both stores read it. */
export interface EnergyDay {
  siteId: number;
  site: string;
  day: string;
  kwh: number;
  source: 'meter' | 'integrated';
  minutes: number;
  registered: boolean;
}

/** The day's energy bucket by bucket (1-minute rollups while they are kept, else hours). */
export interface DaySlices {
  spanMs: number;
  buckets: ReadonlyArray<{ bucket: number; kwh: number }>;
}

export const startOfDay = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** A tariff change falls inside the day: its fee needs the energy bucket by bucket. */
export function needsSlices(day: string, periods: readonly TariffPeriod[]): boolean {
  return changesWithin(periods, startOfDay(day));
}

/**
 * The day's row with its fee. `tariffs` is each site's effective-dated tariff
 * history (site_terms): a day is billed at the tariffs in force during it, bucket
 * by bucket on a day a change falls in (then `slices` is given); tariffPerKwh is
 * the average the fee amounts to.
 */
export function energyRowOf(d: EnergyDay, periods: readonly TariffPeriod[], slices?: DaySlices) {
  const { fee, tariffPerKwh } = slices ? dayFee(startOfDay(d.day), d.kwh, slices.buckets, periods, slices.spanMs) : dayFee(startOfDay(d.day), d.kwh, [], periods);
  return { site: d.site, day: d.day, kwh: d.kwh, source: d.source, minutes: d.minutes, tariffPerKwh, fee, registered: d.registered };
}
