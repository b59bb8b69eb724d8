/**
 * The reconciler's decisions as pure functions: which miners, how many, when
 * the target is met. No I/O and no clock of their own, so every rule is a
 * table test (curtail-plan.test.ts); control-reconciler.ts carries them out.
 */
import type { CURTAIL_STRATEGIES } from '../../shared/protocol/index.js';
import type { MinerState } from '../drivers/miners/miner-driver.js';

export type CurtailStrategy = (typeof CURTAIL_STRATEGIES)[number];

export interface Candidate {
  id: string;
  state: MinerState;
  /** kW that sleeping this miner saves (its last hashing power), or that waking it adds back. */
  expectedKw: number;
  /** Last known J/TH while hashing; null when never seen hashing with power. */
  jth: number | null;
  /** Rack or address block, for `spread`. */
  group: string;
  sleepCapable: boolean;
  /** In the agent's own list of miners it put to sleep. */
  asleepByAgent: boolean;
  sleptAt?: number;
  neverCurtail: boolean;
  /** Ignored a sleep command under the current revision: pick another instead. */
  refusedSleep: boolean;
}

export type Target = { kind: 'none' } | { kind: 'count'; count: number } | { kind: 'all' } | { kind: 'cap'; capKw: number };

export interface PlanSettings {
  strategy: CurtailStrategy;
  /** Miners per step; sleeps under emergency priority take every miner needed in one step. */
  batchSize: number;
  minSleepS: number;
  emergency: boolean;
  hysteresisKw: number;
  tolerance: number;
  now: number;
}

export type PlanStatus = 'ramping' | 'holding' | 'released' | 'failed' | 'waiting';

export interface Plan {
  sleep: string[];
  wake: string[];
  status: PlanStatus;
  reason?: 'insufficient_capacity' | 'no_measurement';
  detail?: string;
  /** The kW cap steered to, for cap targets. */
  targetKw?: number;
}

const byId = (a: Candidate, b: Candidate) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** Worst efficiency first; miners never seen hashing sort last (nothing known to save). */
const worstFirst = (a: Candidate, b: Candidate) => (b.jth ?? -1) - (a.jth ?? -1) || b.expectedKw - a.expectedKw || byId(a, b);
const bestFirst = (a: Candidate, b: Candidate) => (a.jth ?? Infinity) - (b.jth ?? Infinity) || byId(a, b);

export function sleepable(c: Candidate): boolean {
  return !c.asleepByAgent && c.sleepCapable && !c.neverCurtail && !c.refusedSleep && (c.state === 'hashing' || c.state === 'idle');
}

/** Miners to put to sleep next, in the strategy's order. */
export function orderForSleep(candidates: readonly Candidate[], strategy: CurtailStrategy): Candidate[] {
  const eligible = candidates.filter(sleepable);
  if (strategy === 'most_power_first') return eligible.sort((a, b) => b.expectedKw - a.expectedKw || byId(a, b));
  if (strategy === 'least_efficient_first') return eligible.sort(worstFirst);
  // spread: take from the group with the fewest asleep so far, each group worst first.
  const groups = new Map<string, Candidate[]>();
  const asleep = new Map<string, number>();
  for (const c of candidates) if (c.asleepByAgent) asleep.set(c.group, (asleep.get(c.group) ?? 0) + 1);
  for (const c of eligible.sort(worstFirst)) {
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  const out: Candidate[] = [];
  const names = [...groups.keys()].sort();
  while (out.length < eligible.length) {
    let pick: string | undefined;
    for (const g of names) {
      if ((groups.get(g)?.length ?? 0) === 0) continue;
      if (pick === undefined || (asleep.get(g) ?? 0) < (asleep.get(pick) ?? 0)) pick = g;
    }
    if (pick === undefined) break;
    out.push(groups.get(pick)!.shift()!);
    asleep.set(pick, (asleep.get(pick) ?? 0) + 1);
  }
  return out;
}

/** Miners the agent slept that may wake now, most efficient first; the minimum sleep time holds unless emergency. */
export function orderForWake(candidates: readonly Candidate[], s: Pick<PlanSettings, 'minSleepS' | 'emergency' | 'now'>): { ready: Candidate[]; waiting: number } {
  const mine = candidates.filter((c) => c.asleepByAgent);
  const ready = mine.filter((c) => s.emergency || c.sleptAt === undefined || c.sleptAt + s.minSleepS * 1000 <= s.now);
  return { ready: ready.sort(bestFirst), waiting: mine.length - ready.length };
}

/** Sleeps per step: the batch at normal priority, everything needed at emergency (wakes always ramp: inrush). */
const sleepLimit = (s: Pick<PlanSettings, 'batchSize' | 'emergency'>) => (s.emergency ? Infinity : s.batchSize);

export function planStep(target: Target, candidates: readonly Candidate[], measuredKw: number | null, s: PlanSettings): Plan {
  const asleep = candidates.filter((c) => c.asleepByAgent).length;
  const wakeBatch = (n: number): Plan => {
    const { ready, waiting } = orderForWake(candidates, s);
    const wake = ready.slice(0, Math.min(n, s.batchSize)).map((c) => c.id);
    if (wake.length === 0) return { sleep: [], wake, status: 'waiting', detail: `${waiting} miners within their minimum sleep time` };
    return { sleep: [], wake, status: 'ramping' };
  };
  const sleepBatch = (n: number, status: PlanStatus = 'ramping'): Plan => {
    const pick = orderForSleep(candidates, s.strategy).slice(0, Math.min(n, sleepLimit(s))).map((c) => c.id);
    if (pick.length === 0) {
      return { sleep: [], wake: [], status: 'failed', reason: 'insufficient_capacity', detail: `${asleep} asleep, no further miner can be put to sleep` };
    }
    return { sleep: pick, wake: [], status };
  };

  switch (target.kind) {
    case 'none':
      return asleep === 0 ? { sleep: [], wake: [], status: 'released' } : wakeBatch(asleep);
    case 'all':
    case 'count': {
      const want = target.kind === 'all' ? asleep + orderForSleep(candidates, s.strategy).length : target.count;
      if (asleep < want) return sleepBatch(want - asleep);
      if (asleep > want) return wakeBatch(asleep - want);
      return { sleep: [], wake: [], status: 'holding' };
    }
    case 'cap':
      return planCap(target.capKw, candidates, measuredKw, s);
  }
}

/** max_kw / shed_kw: closed loop on measured power with a hysteresis band below the cap. */
function planCap(capKw: number, candidates: readonly Candidate[], measuredKw: number | null, s: PlanSettings): Plan {
  if (measuredKw === null) return { sleep: [], wake: [], status: 'failed', reason: 'no_measurement', detail: 'neither the meter nor any miner reports power', targetKw: capKw };
  const aim = Math.max(0, capKw - s.hysteresisKw / 2);
  if (measuredKw > capKw) {
    const excess = measuredKw - aim;
    const order = orderForSleep(candidates, s.strategy);
    const pick: string[] = [];
    let saved = 0;
    for (const c of order) {
      if (saved >= excess || pick.length >= sleepLimit(s)) break;
      pick.push(c.id);
      saved += c.expectedKw;
    }
    if (pick.length === 0) {
      return { sleep: [], wake: [], status: 'failed', reason: 'insufficient_capacity', detail: `measured ${measuredKw.toFixed(1)} kW over the cap with nothing left to sleep`, targetKw: capKw };
    }
    return { sleep: pick, wake: [], status: measuredKw <= capKw * (1 + s.tolerance) ? 'holding' : 'ramping', targetKw: capKw };
  }
  if (measuredKw < capKw - s.hysteresisKw) {
    const { ready } = orderForWake(candidates, s);
    const room = aim - measuredKw;
    const wake: string[] = [];
    let added = 0;
    for (const c of ready) {
      if (wake.length >= s.batchSize || added + c.expectedKw > room) break;
      wake.push(c.id);
      added += c.expectedKw;
    }
    if (wake.length > 0) return { sleep: [], wake, status: 'holding', targetKw: capKw };
  }
  return { sleep: [], wake: [], status: 'holding', targetKw: capKw };
}
