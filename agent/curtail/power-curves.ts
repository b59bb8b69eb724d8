/**
 * What the agent believes about a model run below nameplate: hashrate falls
 * slower than power (hashrate ∝ (power / nameplate)^exponent, so J/TH
 * improves as power falls) down to an efficient floor, below which firmwares
 * refuse the target or the chips stop gaining (Braiins OS+ autotuner and LuxOS
 * profile tables stop near 55–65 % of stock power). Used to decide where a
 * power target keeps more hashrate per kW shed than a sleep
 * (power-target-plan.ts).
 */
export interface PowerCurve {
  /** Lowest useful power as a fraction of the miner's full draw. */
  floorRatio: number;
  /** hashrate ratio = power ratio ^ exponent (< 1: efficiency improves as power falls). */
  exponent: number;
}

/**
 * Older chips (S19 / M30 generation) gain more from underclocking than newer
 * ones: an S19j Pro at 75 % power hashes ≈ 85 % (LuxOS profile tables,
 * Braiins OS+ autotuning); the floors sit above the firmwares' lowest targets.
 */
const CURVES: ReadonlyArray<{ match: RegExp; curve: PowerCurve }> = [
  { match: /S21|M60|M66/i, curve: { floorRatio: 0.65, exponent: 0.8 } },
  { match: /S19\s*XP|S19k|M50|M56/i, curve: { floorRatio: 0.6, exponent: 0.72 } },
  { match: /S19|M30|M31|M32/i, curve: { floorRatio: 0.55, exponent: 0.65 } },
];

/** Unknown models: a cautious floor and little gain, so the planner leans on what it knows. */
export const DEFAULT_CURVE: PowerCurve = { floorRatio: 0.7, exponent: 0.9 };

export function curveOf(model: string): PowerCurve {
  return CURVES.find((c) => c.match.test(model))?.curve ?? DEFAULT_CURVE;
}

/** Hashrate at `powerW` for a miner that does `fullThs` at `fullW`, by its curve. */
export function hashrateAt(curve: PowerCurve, fullW: number, fullThs: number, powerW: number): number {
  if (fullW <= 0 || powerW <= 0) return 0;
  return fullThs * Math.min(1, powerW / fullW) ** curve.exponent;
}
