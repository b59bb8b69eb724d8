/**
 * `level: power_target` for the kW modes, as pure functions (table tests in
 * power-target-plan.test.ts; power-target-actions.ts carries them out).
 *
 * Each miner can stay at full power, run at a lower power target (down to its
 * model's efficient floor, power-curves.ts) or sleep. `allocate` picks, for
 * the kW the site must shed, the mix that keeps the most TH/s: a Lagrangian
 * search for the price λ (TH/s given up per W saved) at which the sheds add up,
 * every miner choosing its cheapest option at that price. Miners run below
 * nameplate hash more per watt, so moderate sheds spread over many miners;
 * miners without power-target support (stock Antminer) can only sleep, and do
 * so when that is cheaper (an inefficient one costs less hashrate per kW than
 * turning an efficient one down further).
 */
import type { MinerState } from '../drivers/miners/miner-driver.js';
import { curveOf, hashrateAt, type PowerCurve } from './power-curves.js';
import type { PlanStatus } from './curtail-plan.js';

export type Setting = { kind: 'full' } | { kind: 'target'; w: number } | { kind: 'sleep' };

export interface PtCandidate {
  id: string;
  state: MinerState;
  model: string;
  /** Draw and hashrate before the agent touched it (what restoring gives back). */
  fullW: number;
  fullThs: number;
  /** Takes a power target (firmware support, not refused under this revision). */
  targetable: boolean;
  /** Lowest target the firmware accepts (LuxOS profiles), over the curve's floor. */
  minW?: number;
  /** May be put to sleep (capable, not refused). */
  sleepable: boolean;
  /** What the agent has done to it so far. */
  current: Setting;
  sleptAt?: number;
}

export interface PtSettings {
  batchSize: number;
  minSleepS: number;
  hysteresisKw: number;
  tolerance: number;
  now: number;
}

export interface PtPlan {
  sleep: string[];
  wake: string[];
  /** New power targets (lower, or higher but below the original). */
  setTarget: Array<{ id: string; w: number }>;
  /** Back to the target it had before the agent changed it. */
  restore: string[];
  status: PlanStatus;
  reason?: 'insufficient_capacity' | 'no_measurement';
  detail?: string;
  targetKw?: number;
}

/** Draw of a sleeping miner (fans and control board), as the emulator and real S19s show ≈ 50–65 W. */
export const SLEEP_W = 60;
/** A retarget smaller than this is not worth a firmware restart (Braiins OS restarts mining on each change). */
const MIN_CHANGE_RATIO = 0.03;
const MIN_CHANGE_W = 30;
/** Targets this close to full power are full power. */
const FULL_RATIO = 0.98;

interface Option {
  setting: Setting;
  savedW: number;
  lostThs: number;
}

function floorW(c: PtCandidate, curve: PowerCurve): number {
  return Math.min(c.fullW, Math.max(c.fullW * curve.floorRatio, c.minW ?? 0));
}

export function drawOf(c: PtCandidate): number {
  switch (c.current.kind) {
    case 'full':
      return c.fullW;
    case 'target':
      return Math.min(c.current.w, c.fullW);
    case 'sleep':
      return Math.min(SLEEP_W, c.fullW);
  }
}

export function hashrateOf(c: PtCandidate, s: Setting): number {
  if (s.kind === 'sleep') return 0;
  if (s.kind === 'full') return c.fullThs;
  return hashrateAt(curveOf(c.model), c.fullW, c.fullThs, s.w);
}

/** The best option for one miner at price λ (TH/s per W). */
function bestAt(c: PtCandidate, lambda: number, allowSleep: boolean): Option {
  let best: Option = { setting: { kind: 'full' }, savedW: 0, lostThs: 0 };
  let bestValue = 0;
  const P = c.fullW;
  const H = c.fullThs;
  if (c.targetable && P > 0 && H > 0) {
    const curve = curveOf(c.model);
    const e = curve.exponent;
    const f = floorW(c, curve) / P;
    // d/dr [λP(1−r) − H(1−r^e)] = 0  →  r = (λP / (H e))^(1/(e−1)), clamped to [floor, 1].
    const r = Math.min(1, Math.max(f, (lambda * P / (H * e)) ** (1 / (e - 1))));
    if (r < FULL_RATIO) {
      const w = Math.round(r * P);
      const saved = P - w;
      const lost = H - hashrateAt(curve, P, H, w);
      const value = lambda * saved - lost;
      if (value > bestValue) {
        best = { setting: { kind: 'target', w }, savedW: saved, lostThs: lost };
        bestValue = value;
      }
    }
  }
  if (allowSleep && c.sleepable) {
    const saved = P - Math.min(SLEEP_W, P);
    const value = lambda * saved - H;
    if (value > bestValue) best = { setting: { kind: 'sleep' }, savedW: saved, lostThs: H };
  }
  return best;
}

function choose(cands: readonly PtCandidate[], lambda: number, allowSleep: (c: PtCandidate) => boolean): { options: Option[]; savedW: number } {
  let savedW = 0;
  const options = cands.map((c) => {
    const o = bestAt(c, lambda, allowSleep(c));
    savedW += o.savedW;
    return o;
  });
  return { options, savedW };
}

/** Smallest price at which the miners' choices save `needW` (or the most they can). */
function search(cands: readonly PtCandidate[], needW: number, allowSleep: (c: PtCandidate) => boolean): { options: Option[]; savedW: number } {
  let lo = 0;
  let hi = 1e3;
  let best = choose(cands, hi, allowSleep);
  if (best.savedW < needW) return best;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    const at = choose(cands, mid, allowSleep);
    if (at.savedW >= needW) {
      hi = mid;
      best = at;
    } else lo = mid;
  }
  return best;
}

export interface Allocation {
  settings: Map<string, Setting>;
  savedW: number;
  keptThs: number;
  /** The shed asked for cannot be reached even with every option taken. */
  short: boolean;
}

/** What sleeping a miner adds over turning it down to its floor, per W: the order sleeps are considered in. */
function sleepCostPerW(c: PtCandidate): number {
  const sleepW = Math.min(SLEEP_W, c.fullW);
  if (!c.targetable) return c.fullThs / Math.max(1, c.fullW - sleepW);
  const curve = curveOf(c.model);
  const f = floorW(c, curve);
  return hashrateAt(curve, c.fullW, c.fullThs, f) / Math.max(1, f - sleepW);
}

interface Trial {
  settings: Map<string, Setting>;
  savedW: number;
  keptThs: number;
  feasible: boolean;
}

/**
 * Settings that save at least `needW` against every miner at full power,
 * keeping the most hashrate. `mustSleep` miners (within their minimum sleep
 * time) stay asleep.
 *
 * Sleeps come in whole machines, so a price alone overshoots (ten identical
 * miners all flip to sleep at the same λ). Instead: the first k sleeps in
 * order of cost per W, the power targets of the rest found by price for
 * what is still missing; k is the fewest that reach the shed, then searched
 * upwards while more sleeps keep more hashrate (cheap stock miners before
 * deep targets).
 */
export function allocate(needW: number, cands: readonly PtCandidate[], mustSleep: ReadonlySet<string> = new Set()): Allocation {
  const free = cands.filter((c) => !mustSleep.has(c.id));
  const forced = cands.filter((c) => mustSleep.has(c.id));
  const forcedSaved = forced.reduce((s, c) => s + c.fullW - Math.min(SLEEP_W, c.fullW), 0);
  const need = needW - forcedSaved;
  const order = free.filter((c) => c.sleepable).sort((a, b) => sleepCostPerW(a) - sleepCostPerW(b) || (a.id < b.id ? -1 : 1));
  const memo = new Map<number, Trial>();
  const trial = (k: number): Trial => {
    const hit = memo.get(k);
    if (hit) return hit;
    const sleeping = new Set(order.slice(0, k).map((c) => c.id));
    const settings = new Map<string, Setting>();
    let saved = forcedSaved;
    for (const c of forced) settings.set(c.id, { kind: 'sleep' });
    for (const c of free) {
      if (!sleeping.has(c.id)) continue;
      settings.set(c.id, { kind: 'sleep' });
      saved += c.fullW - Math.min(SLEEP_W, c.fullW);
    }
    const rest = free.filter((c) => !sleeping.has(c.id));
    const missing = needW - saved;
    if (missing > 0) {
      const t = search(rest, missing, () => false);
      rest.forEach((c, i) => settings.set(c.id, t.options[i]!.setting));
      saved += t.savedW;
    } else for (const c of rest) settings.set(c.id, { kind: 'full' });
    let keptThs = 0;
    for (const c of cands) keptThs += hashrateOf(c, settings.get(c.id)!);
    const out = { settings, savedW: saved, keptThs, feasible: saved >= needW - 1e-6 };
    memo.set(k, out);
    return out;
  };
  let best: Trial;
  if (need <= 0 || trial(0).feasible) best = trial(0);
  else if (!trial(order.length).feasible) best = trial(order.length);
  else {
    // Fewest sleeps that reach the shed (feasibility only grows with k).
    let lo = 0;
    let hi = order.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (trial(mid).feasible) hi = mid;
      else lo = mid;
    }
    best = trial(hi);
  }
  // More sleeps than the fewest may keep more hashrate: search upwards (hashrate kept rises, then falls).
  let lo = [...memo.entries()].find(([, t]) => t === best)![0];
  let hi = order.length;
  while (hi - lo > 2) {
    const m1 = lo + Math.floor((hi - lo) / 3);
    const m2 = hi - Math.floor((hi - lo) / 3);
    if (trial(m1).feasible && trial(m1).keptThs >= trial(m2).keptThs) hi = m2;
    else lo = m1;
  }
  for (let k = lo; k <= hi; k++) {
    const t = trial(k);
    if ((t.feasible && (!best.feasible || t.keptThs > best.keptThs)) || (!best.feasible && t.savedW > best.savedW)) best = t;
  }
  return { settings: best.settings, savedW: best.savedW, keptThs: best.keptThs, short: !best.feasible };
}

function drawAt(c: PtCandidate, s: Setting): number {
  return drawOf({ ...c, current: s });
}

interface Change {
  id: string;
  to: Setting;
  deltaW: number;
}

/** What differs between the allocation and what the miners are set to, ignoring retargets too small to be worth a restart. */
function changesOf(cands: readonly PtCandidate[], alloc: Allocation, sticky: boolean): Change[] {
  const out: Change[] = [];
  for (const c of cands) {
    const to = alloc.settings.get(c.id)!;
    const from = c.current;
    if (from.kind === to.kind && (to.kind !== 'target' || from.kind !== 'target' || from.w === to.w)) continue;
    if (sticky && from.kind === 'target' && to.kind === 'target' && Math.abs(from.w - to.w) < Math.max(MIN_CHANGE_W, c.fullW * MIN_CHANGE_RATIO)) continue;
    out.push({ id: c.id, to, deltaW: drawAt(c, to) - drawOf(c) });
  }
  return out;
}

function toPlan(changes: readonly Change[], cands: readonly PtCandidate[], base: Pick<PtPlan, 'status' | 'targetKw'>): PtPlan {
  const byId = new Map(cands.map((c) => [c.id, c]));
  const plan: PtPlan = { sleep: [], wake: [], setTarget: [], restore: [], ...base };
  for (const ch of changes) {
    const c = byId.get(ch.id)!;
    if (ch.to.kind === 'sleep') plan.sleep.push(ch.id);
    else if (c.current.kind === 'sleep') plan.wake.push(ch.id);
    else if (ch.to.kind === 'full') plan.restore.push(ch.id);
    else plan.setTarget.push({ id: ch.id, w: ch.to.w });
  }
  return plan;
}

/**
 * One step of the closed loop on measured power, as planCap does for sleep:
 * over the cap, lower targets and sleep (largest sheds first, one batch);
 * well under it (past the hysteresis band), raise, restore and wake within
 * the room there is; in between, hold.
 */
export function planPowerTargetStep(capKw: number, cands: readonly PtCandidate[], measuredKw: number | null, s: PtSettings): PtPlan {
  const hold = (status: PlanStatus): PtPlan => ({ sleep: [], wake: [], setTarget: [], restore: [], status, targetKw: capKw });
  if (measuredKw === null) return { ...hold('failed'), reason: 'no_measurement', detail: 'neither the meter nor any miner reports power' };
  const over = measuredKw > capKw;
  const under = measuredKw < capKw - s.hysteresisKw;
  if (!over && !under) return hold('holding');
  const measuredW = measuredKw * 1000;
  const aimW = Math.max(0, capKw - s.hysteresisKw / 2) * 1000;
  const savedNowW = cands.reduce((sum, c) => sum + c.fullW - drawOf(c), 0);
  const needW = measuredW + savedNowW - aimW;
  const mustSleep = new Set(cands.filter((c) => c.current.kind === 'sleep' && c.sleptAt !== undefined && c.sleptAt + s.minSleepS * 1000 > s.now).map((c) => c.id));
  const alloc = allocate(needW, cands, mustSleep);
  const status: PlanStatus = over ? (measuredKw <= capKw * (1 + s.tolerance) ? 'holding' : 'ramping') : 'holding';
  if (over) {
    let down = changesOf(cands, alloc, true).filter((ch) => ch.deltaW < 0);
    // Every remaining retarget is small, yet the site is over: make them anyway.
    if (down.length === 0) down = changesOf(cands, alloc, false).filter((ch) => ch.deltaW < 0);
    if (down.length === 0) {
      return { ...hold('failed'), reason: 'insufficient_capacity', detail: `measured ${measuredKw.toFixed(1)} kW over the cap with every miner at its floor or asleep` };
    }
    down.sort((a, b) => a.deltaW - b.deltaW || (a.id < b.id ? -1 : 1));
    return toPlan(down.slice(0, s.batchSize), cands, { status, targetKw: capKw });
  }
  const up = changesOf(cands, alloc, true).filter((ch) => ch.deltaW > 0);
  up.sort((a, b) => a.deltaW - b.deltaW || (a.id < b.id ? -1 : 1));
  const room = aimW - measuredW;
  const pick: Change[] = [];
  let added = 0;
  for (const ch of up) {
    if (pick.length >= s.batchSize || added + ch.deltaW > room) break;
    pick.push(ch);
    added += ch.deltaW;
  }
  return toPlan(pick, cands, { status, targetKw: capKw });
}

/** On release: every miner the agent retargeted goes back to its original target, in batches (asleep ones once awake). */
export function planRestore(cands: readonly PtCandidate[], batchSize: number): string[] {
  return cands
    .filter((c) => c.current.kind === 'target' && (c.state === 'hashing' || c.state === 'idle'))
    .map((c) => c.id)
    .sort()
    .slice(0, batchSize);
}
