/** A site meter's readings: arrival time (ms) and kW. */
export type MeterTrace = Array<{ t: number; kw: number }>;

/**
 * Time from `from` until the meter first shows 50, 90 and 100 % of `amountKw`
 * moved from `startKw` (down for a shed, up for a restore), each once the
 * reading and the one after it both show it (one noisy reading is not a shed).
 * "100 %" is 98 %: the planned kW is an estimate (stock Antminers report no
 * draw, the agent estimates it from hashrate; sleep draw is a model figure
 * until measured) and the miners' draw moves by ~1 % from second to second.
 * null: not reached (yet).
 */
export const FULL_SHARE = 0.98;

export function shedTimes(trace: MeterTrace, from: number, startKw: number, amountKw: number, direction: 'down' | 'up'): { t50: number | null; t90: number | null; t100: number | null } {
  const after = trace.filter((p) => p.t >= from);
  const moved = (kw: number) => (direction === 'down' ? startKw - kw : kw - startKw);
  const at = (share: number): number | null => {
    if (amountKw <= 0) return 0;
    for (let i = 0; i + 1 < after.length; i++) {
      if (moved(after[i]!.kw) >= share * amountKw && moved(after[i + 1]!.kw) >= share * amountKw) return after[i]!.t - from;
    }
    return null;
  };
  return { t50: at(0.5), t90: at(0.9), t100: at(FULL_SHARE) };
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
