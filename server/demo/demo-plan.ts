import type { FirmwareMix } from '../../sim/fleet/fleet-spec.js';
import type { MeterPresetName } from '../../agent/drivers/meters/presets.js';
import { AppError } from '../../shared/errors.js';

/**
 * The demo's cast of sites. Each one shows something an operator should see
 * within the first minute: healthy registered sites in two regions, one grey
 * (unregistered) site whose agent reports anyway, and one registered site
 * whose allocation is below what it draws, so a violation opens by itself.
 */
export type DemoRole = 'registered' | 'over-allocation' | 'unregistered';

export interface DemoSitePlan {
  id: string;
  name: string;
  region: string;
  company: string;
  role: DemoRole;
  tier: number;
  tariffPerKwh: number;
  miners: number;
  mix: FirmwareMix;
  meterPreset: MeterPresetName;
  /** Cooling and offices, kW, on top of the miners (seen by the meter only). */
  overheadKw: number;
  /** Allocation as a share of the site's draw at start. */
  allocationShare: number;
  seed: number;
}

/**
 * USD per kWh. Kazakhstan's fee on mined power from 2022 is 1 tenge/kWh (≈ 0.0023 USD);
 * registered farms pay it as grey ones would, plus a surcharge where their contract
 * sets one, so no registered site pays less than the grey fee.
 */
const FEE = 0.0023;

const CAST: ReadonlyArray<Omit<DemoSitePlan, 'id' | 'miners' | 'seed'> & { slug: string; weight: number }> = [
  { slug: 'ekibastuz', name: 'Ekibastuz North', region: 'north', company: 'Steppe Hash LLP', role: 'registered', tier: 2, tariffPerKwh: FEE, weight: 30, mix: { antminer: 50, luxos: 30, whatsminer: 20 }, meterPreset: 'eastron-sdm630', overheadKw: 6, allocationShare: 1.3 },
  { slug: 'pavlodar', name: 'Pavlodar Works', region: 'north', company: 'Irtysh Compute', role: 'over-allocation', tier: 1, tariffPerKwh: FEE, weight: 25, mix: { braiins: 50, antminer: 30, whatsminer: 20 }, meterPreset: 'schneider-pm5000', overheadKw: 4, allocationShare: 0.8 },
  { slug: 'karaganda', name: 'Karaganda Yard', region: 'central', company: 'Saryarka Mining', role: 'registered', tier: 3, tariffPerKwh: 0.0025, weight: 20, mix: { whatsminer: 50, luxos: 50 }, meterPreset: 'eastron-sdm630', overheadKw: 3, allocationShare: 1.25 },
  { slug: 'grey-barn', name: 'Barn near Temirtau', region: 'central', company: '', role: 'unregistered', tier: 1, tariffPerKwh: FEE, weight: 15, mix: { antminer: 100 }, meterPreset: 'eastron-sdm630', overheadKw: 1, allocationShare: 0 },
  { slug: 'almaty', name: 'Almaty Hydro', region: 'south', company: 'Alatau Digital', role: 'registered', tier: 2, tariffPerKwh: 0.0028, weight: 10, mix: { luxos: 40, braiins: 30, antminer: 30 }, meterPreset: 'schneider-pm5000', overheadKw: 2, allocationShare: 1.4 },
];

/** Further registered farms beyond the first five, named after the towns they stand by. */
const MORE_TOWNS = [
  ['aksu', 'Aksu'], ['semey', 'Semey'], ['kostanay', 'Kostanay'], ['shymkent', 'Shymkent'], ['taraz', 'Taraz'], ['oskemen', 'Oskemen'],
  ['zhezkazgan', 'Zhezkazgan'], ['balkhash', 'Balkhash'], ['atyrau', 'Atyrau'], ['aktobe', 'Aktobe'], ['kyzylorda', 'Kyzylorda'],
  ['petropavl', 'Petropavl'], ['kokshetau', 'Kokshetau'], ['taldykorgan', 'Taldykorgan'], ['ekibastuz-south', 'Ekibastuz South'],
] as const;

export interface DemoPlanOptions {
  sites: number;
  miners: number;
  /** Prepended to every site id, so test runs on a shared broker never meet. */
  idPrefix?: string;
  seed?: number;
}

/**
 * Splits `miners` over `sites` by the cast's weights. Beyond five sites the
 * cast repeats as registered sites in further regions; the first five always
 * include the grey site and the over-allocation site (from three sites up).
 */
export function planDemoSites(options: DemoPlanOptions): DemoSitePlan[] {
  const { sites, miners } = options;
  if (!Number.isInteger(sites) || sites < 1 || sites > 200) throw new AppError('USAGE', `--sites: expected a whole number from 1 to 200, got ${sites}`);
  if (!Number.isInteger(miners) || miners < sites) throw new AppError('USAGE', `--miners: expected a whole number ≥ the number of sites (${sites}), got ${miners}`);
  if (miners > 20_000) throw new AppError('USAGE', `--miners: the demo runs at most 20,000 miners in one process, got ${miners}`);
  const order = sites < 3 ? [1, 0] : [0, 1, 2, 3, 4];
  const picked = Array.from({ length: sites }, (_, i) => {
    const base = CAST[order[i % order.length] ?? i % CAST.length]!;
    const round = Math.floor(i / order.length);
    if (round === 0) return { ...base };
    // A repeat is a registered farm of its own: a name that says so (never "grey-barn-2"), a company, the fee.
    const n = i - order.length;
    const [slug, town] = MORE_TOWNS[n % MORE_TOWNS.length]!;
    const lap = Math.floor(n / MORE_TOWNS.length);
    const suffix = lap ? `-${lap + 1}` : '';
    return {
      ...base, slug: `${slug}${suffix}`, name: `${town} Farm${lap ? ` ${lap + 1}` : ''}`, region: base.region, role: 'registered' as DemoRole,
      company: base.company || 'Steppe Hash LLP', tariffPerKwh: Math.max(FEE, base.tariffPerKwh), allocationShare: 1.3,
    };
  });
  const totalWeight = picked.reduce((s, p) => s + p.weight, 0);
  const counts = picked.map((p) => Math.max(1, Math.floor((miners * p.weight) / totalWeight)));
  // Hand the rounding remainder to the largest site so the total is exact.
  counts[0]! += miners - counts.reduce((s, n) => s + n, 0);
  const prefix = options.idPrefix ?? '';
  return picked.map(({ slug, weight: _w, ...p }, i) => ({ ...p, id: `${prefix}${slug}`, miners: counts[i]!, seed: (options.seed ?? 7) * 100 + i }));
}

/** Allocation in kW for a site drawing `drawKw`, rounded to a figure a grid operator would write. */
export function allocationFor(plan: DemoSitePlan, drawKw: number): number {
  if (plan.role === 'unregistered') return 0;
  const raw = drawKw * plan.allocationShare;
  const step = raw >= 1000 ? 50 : raw >= 100 ? 10 : 1;
  const rounded = Math.max(step, Math.round(raw / step) * step);
  // The over-allocation site must stay clearly over even after rounding.
  return plan.role === 'over-allocation' ? Math.min(rounded, Math.floor(drawKw * 0.85)) : rounded;
}
