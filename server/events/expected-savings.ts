import type { MinerRow } from '../store/telemetry-repository.js';

/**
 * What a sleeping ASIC still draws when nothing better is known: control
 * board and idle fans, ≈ 40–70 W on the machines we know (the agent's stock
 * Antminer estimate uses the same order of magnitude).
 */
export const DEFAULT_SLEEP_W = 60;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Expected sleep draw per model: measured (median of the site's miners of that model reported asleep), else any measured model, else the default. */
export function sleepDrawByModel(miners: readonly MinerRow[]): (model: string) => number {
  const measured = new Map<string, number[]>();
  for (const m of miners) {
    if (m.state !== 'sleeping' || m.w === null || m.powerSource !== 'reported') continue;
    measured.set(m.model, [...(measured.get(m.model) ?? []), m.w]);
  }
  const perModel = new Map([...measured].map(([model, ws]) => [model, median(ws)]));
  const anyModel = measured.size ? median([...measured.values()].flat()) : DEFAULT_SLEEP_W;
  return (model) => perModel.get(model) ?? anyModel;
}

/**
 * kW each hashing miner of a site would save asleep (its draw now minus its
 * expected sleep draw), in the order the agent's default strategy sleeps them
 * (least efficient first, as the miners table is sorted). The planner sums
 * the first n for a sleep_count target and all of them for a full one, so the
 * planned shed is what the meter can show, not the site's whole draw.
 */
export function expectedSavingsKw(miners: readonly MinerRow[]): number[] {
  const sleepW = sleepDrawByModel(miners);
  const hashing = miners.filter((m) => m.state === 'hashing' && m.w !== null && m.asleepByAgent !== true);
  const order = [...hashing].sort((a, b) => (b.jth ?? -1) - (a.jth ?? -1) || (a.miner < b.miner ? -1 : a.miner > b.miner ? 1 : 0));
  return order.map((m) => Math.max(0, (m.w! - sleepW(m.model)) / 1000));
}
