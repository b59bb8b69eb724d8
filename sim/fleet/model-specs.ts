import type { FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { MinerModelSpec } from '../emulated-miner.js';

/**
 * Nameplate figures of the machines each firmware family runs on (vendor
 * spec sheets). A site mixes models so efficiencies differ, which is what
 * least-efficient-first curtailment sorts on: from the M30S+ at 34 J/TH down
 * to the S21 at 17.5 J/TH.
 *
 * Underclocked, older chips gain more (J/TH falls further) and go lower than
 * newer ones (voltage falls with frequency until the chips' minimum voltage):
 * the exponents give 10–16 % better J/TH at 60 % power, e.g. an S19j Pro at
 * 75 % power hashing ≈ 85 % (≈ 26 J/TH instead of 29.5), about what Braiins
 * OS+ autotuning and LuxOS profile tables show for these generations.
 */
const OLD = { floorRatio: 0.45, exponent: 0.65 };
const MID = { floorRatio: 0.5, exponent: 0.72 };
const NEW = { floorRatio: 0.55, exponent: 0.8 };
const S19_PRO: MinerModelSpec = { make: 'Bitmain', model: 'Antminer S19 Pro', nominalThs: 110, nominalW: 3250, sleepW: 60, hashboards: 3, curve: OLD };
const S19J_PRO: MinerModelSpec = { make: 'Bitmain', model: 'Antminer S19j Pro', nominalThs: 104, nominalW: 3068, sleepW: 60, hashboards: 3, curve: OLD };
const S19K_PRO: MinerModelSpec = { make: 'Bitmain', model: 'Antminer S19k Pro', nominalThs: 120, nominalW: 2760, sleepW: 55, hashboards: 3, curve: MID };
const S19_XP: MinerModelSpec = { make: 'Bitmain', model: 'Antminer S19 XP', nominalThs: 140, nominalW: 3010, sleepW: 55, hashboards: 3, curve: MID };
const S21: MinerModelSpec = { make: 'Bitmain', model: 'Antminer S21', nominalThs: 200, nominalW: 3500, sleepW: 65, hashboards: 3, curve: NEW };
const M30S_PLUS: MinerModelSpec = { make: 'MicroBT', model: 'WhatsMiner M30S+', nominalThs: 100, nominalW: 3400, sleepW: 50, hashboards: 3, curve: OLD };
const M30S_PLUS2: MinerModelSpec = { make: 'MicroBT', model: 'WhatsMiner M30S++', nominalThs: 112, nominalW: 3472, sleepW: 50, hashboards: 3, curve: OLD };
const M50: MinerModelSpec = { make: 'MicroBT', model: 'WhatsMiner M50', nominalThs: 114, nominalW: 3306, sleepW: 50, hashboards: 3, curve: MID };
const M60: MinerModelSpec = { make: 'MicroBT', model: 'WhatsMiner M60', nominalThs: 172, nominalW: 3344, sleepW: 55, hashboards: 3, curve: NEW };

/** Models per firmware with relative weights (older fleets dominate real sites). */
export const MODELS_BY_FIRMWARE: Readonly<Record<FirmwareName, ReadonlyArray<{ spec: MinerModelSpec; weight: number }>>> = {
  antminer: [
    { spec: S19_PRO, weight: 4 },
    { spec: S19J_PRO, weight: 3 },
    { spec: S19K_PRO, weight: 2 },
    { spec: S21, weight: 1 },
  ],
  luxos: [
    { spec: S19K_PRO, weight: 3 },
    { spec: S19J_PRO, weight: 2 },
    { spec: S19_PRO, weight: 2 },
    { spec: S19_XP, weight: 1 },
  ],
  braiins: [
    { spec: S19J_PRO, weight: 3 },
    { spec: S19_PRO, weight: 2 },
    { spec: S19_XP, weight: 2 },
    { spec: S21, weight: 1 },
  ],
  whatsminer: [
    { spec: M30S_PLUS, weight: 3 },
    { spec: M30S_PLUS2, weight: 2 },
    { spec: M50, weight: 2 },
    { spec: M60, weight: 1 },
  ],
};

/** Picks a model for one miner; `u` is a uniform draw in [0, 1). */
export function pickModel(firmware: FirmwareName, u: number): MinerModelSpec {
  const table = MODELS_BY_FIRMWARE[firmware];
  const total = table.reduce((sum, row) => sum + row.weight, 0);
  let x = u * total;
  for (const row of table) {
    if (x < row.weight) return row.spec;
    x -= row.weight;
  }
  return (table[table.length - 1] as { spec: MinerModelSpec }).spec;
}

/** Login defaults as shipped (stock Antminer web UI, LuxOS, Braiins OS, Whatsminer API v3 "super"). */
export const DEFAULT_CREDENTIALS: Readonly<Record<FirmwareName, { username: string; password: string }>> = {
  antminer: { username: 'root', password: 'root' },
  luxos: { username: 'root', password: 'root' },
  braiins: { username: 'root', password: 'root' },
  whatsminer: { username: 'super', password: 'super' },
};
