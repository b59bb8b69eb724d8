import type { EventKind, EventScope } from './event-spec.js';

/** What the planner needs to know about a site right now. */
export interface PlanSite {
  siteId: number;
  site: string;
  region: string;
  registered: boolean;
  tier: number;
  /** Current draw (meter, else miner sum). */
  kw: number;
  /** Miners hashing now (what sleep_count can act on). */
  hashing: number;
  /**
   * kW each hashing miner saves asleep (draw minus expected sleep draw), in the
   * order the agent sleeps them (expected-savings.ts). Absent when the site sent
   * no miner detail: then the site's draw is shared out per hashing miner.
   */
  savingsKw?: readonly number[];
}

export interface PlanTarget {
  siteId: number;
  site: string;
  mode: 'max_kw' | 'sleep_count' | 'full';
  /** kW cap for max_kw, machines for sleep_count, null for full. */
  value: number | null;
  /** The kW the site should be at or under once the target holds. */
  targetKw: number;
  baselineKw: number;
  shedKw: number;
  /** 'unregistered' or 'tier-N': which group of the shedding order it came from. */
  group: string;
  /** sleep_count: machines hashing at planning time, what the target's progress counts from. */
  baselineHashing?: number;
}

/** A sleep_count plan in machines (its kW figures are estimates beside them). */
export interface MachinePlan {
  requested: number;
  planned: number;
  /** Machines the scope could not give: more were asked than are hashing. */
  shortfall: number;
}

export interface Plan {
  requestedKw: number;
  plannedShedKw: number;
  /** kW the scope could not give (the request exceeds what the sites draw); 0 for sleep_count, whose shortfall is in machines. */
  shortfallKw: number;
  scopeKw: number;
  targets: PlanTarget[];
  /** sleep_count only. */
  machines?: MachinePlan;
}

export function inScope(site: { site: string; region: string }, scope: EventScope): boolean {
  if (scope.all) return true;
  return (scope.regions?.includes(site.region) ?? false) || (scope.sites?.includes(site.site) ?? false);
}

/** Shedding order: unregistered (grey) sites first, then registered ones by tier, tier 1 first. */
function groups(sites: PlanSite[]): Array<{ name: string; sites: PlanSite[] }> {
  const grey = sites.filter((s) => !s.registered);
  const tiers = new Map<number, PlanSite[]>();
  for (const s of sites.filter((x) => x.registered)) tiers.set(s.tier, [...(tiers.get(s.tier) ?? []), s]);
  const out = grey.length ? [{ name: 'unregistered', sites: grey }] : [];
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) out.push({ name: `tier-${tier}`, sites: tiers.get(tier)! });
  return out;
}

/** Splits `amount` over weights, pro rata, each share capped by its weight. */
function proRata(amount: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return weights.map(() => 0);
  if (amount >= total) return [...weights];
  return weights.map((w) => (amount * w) / total);
}

/** Integer split by largest remainder, never more than each weight. */
function proRataInt(amount: number, weights: number[]): number[] {
  const exact = proRata(amount, weights);
  const floors = exact.map(Math.floor);
  let left = Math.min(amount, weights.reduce((a, b) => a + b, 0)) - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r);
  for (const { i } of order) {
    if (left <= 0) break;
    if (floors[i]! < weights[i]!) {
      floors[i]!++;
      left--;
    }
  }
  return floors;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** kW that sleeping `n` of the site's hashing miners takes off its meter. */
export function shedOfCount(s: PlanSite, n: number): number {
  if (n <= 0 || s.hashing <= 0) return 0;
  const savings = s.savingsKw;
  if (!savings || savings.length === 0) return (s.kw * Math.min(n, s.hashing)) / s.hashing;
  const known = savings.slice(0, n).reduce((a, b) => a + b, 0);
  // More to sleep than miners with detail (detail lags a poll): the rest at the average saving.
  const rest = Math.max(0, Math.min(n, s.hashing) - savings.length);
  return Math.min(s.kw, known + (rest * savings.reduce((a, b) => a + b, 0)) / savings.length);
}

/**
 * The curtailment plan (pure): who sheds how much. Unregistered sites first,
 * then registered ones by tier, pro rata to current draw within a group, and
 * never more than a site draws. kW targets become `max_kw` caps (closed loop on
 * the site meter); a site asked for all it draws gets `full`. Machine-count and
 * full-site targets are planned at what sleeping those miners takes off the
 * meter (their draw minus their expected sleep draw; overhead stays), so the
 * requested, planned and achieved kW compare like with like.
 */
export function planEvent(event: { kind: EventKind; value?: number | undefined; scope: EventScope }, allSites: PlanSite[]): Plan {
  const sites = allSites.filter((s) => inScope(s, event.scope)).sort((a, b) => a.site.localeCompare(b.site));
  const scopeKw = sites.reduce((a, s) => a + Math.max(0, s.kw), 0);
  const targets: PlanTarget[] = [];

  if (event.kind === 'full') {
    let planned = 0;
    for (const s of sites) {
      const shed = s.savingsKw && s.savingsKw.length > 0 ? shedOfCount(s, s.hashing) : s.kw;
      planned += shed;
      targets.push({ siteId: s.siteId, site: s.site, mode: 'full', value: null, targetKw: 0, baselineKw: s.kw, shedKw: round(shed), group: s.registered ? `tier-${s.tier}` : 'unregistered' });
    }
    return { requestedKw: round(planned), plannedShedKw: round(planned), shortfallKw: 0, scopeKw: round(scopeKw), targets };
  }

  if (event.kind === 'sleep_count') {
    let need = Math.floor(event.value ?? 0);
    const requested = need;
    let shedKw = 0;
    for (const g of groups(sites)) {
      if (need <= 0) break;
      const counts = proRataInt(need, g.sites.map((s) => s.hashing));
      g.sites.forEach((s, i) => {
        const n = counts[i]!;
        if (n <= 0) return;
        need -= n;
        const shed = shedOfCount(s, n);
        shedKw += shed;
        targets.push({ siteId: s.siteId, site: s.site, mode: 'sleep_count', value: n, targetKw: round(s.kw - shed), baselineKw: s.kw, shedKw: round(shed), group: g.name, baselineHashing: s.hashing });
      });
    }
    const shortfall = Math.max(0, need);
    return {
      requestedKw: round(shedKw), plannedShedKw: round(shedKw), shortfallKw: 0, scopeKw: round(scopeKw), targets: requested > 0 ? targets : [],
      machines: { requested, planned: requested - shortfall, shortfall },
    };
  }

  const requested = event.kind === 'reduce_by_kw' ? (event.value ?? 0) : Math.max(0, scopeKw - (event.value ?? 0));
  let need = requested;
  for (const g of groups(sites)) {
    if (need <= 1e-9) break;
    const draws = g.sites.map((s) => Math.max(0, s.kw));
    const sheds = proRata(need, draws);
    g.sites.forEach((s, i) => {
      const shed = sheds[i]!;
      if (shed <= 1e-9) return;
      need -= shed;
      const full = shed >= draws[i]! - 1e-9;
      targets.push({
        siteId: s.siteId, site: s.site, mode: full ? 'full' : 'max_kw', value: full ? null : round(s.kw - shed), targetKw: full ? 0 : round(s.kw - shed),
        baselineKw: s.kw, shedKw: round(shed), group: g.name,
      });
    });
  }
  const planned = targets.reduce((a, t) => a + t.shedKw, 0);
  return { requestedKw: round(requested), plannedShedKw: round(planned), shortfallKw: round(Math.max(0, need)), scopeKw: round(scopeKw), targets };
}
