/**
 * Nameplate figures for stock Antminers, which report no power. Each row cites
 * the Bitmain specification it comes from (bitmain.com product pages / spec
 * sheets at launch; the "standard" hashrate bin where several were sold).
 */
export interface AntminerModel {
  model: string;
  nominalThs: number;
  nominalW: number;
}

export const ANTMINER_MODELS: readonly AntminerModel[] = [
  // Bitmain S19 spec sheet (2020): 95 TH/s, 3250 W, 34.5 J/TH.
  { model: 'S19', nominalThs: 95, nominalW: 3250 },
  // Bitmain S19 Pro spec sheet (2020): 110 TH/s, 3250 W, 29.5 J/TH.
  { model: 'S19 Pro', nominalThs: 110, nominalW: 3250 },
  // Bitmain S19j Pro spec sheet (2021): 100 TH/s, 3050 W, 30.5 J/TH (96/104 TH/s bins also sold).
  { model: 'S19j Pro', nominalThs: 100, nominalW: 3050 },
  // Bitmain S19k Pro spec sheet (2023): 120 TH/s, 2760 W, 23 J/TH.
  { model: 'S19k Pro', nominalThs: 120, nominalW: 2760 },
  // Bitmain S19 XP spec sheet (2022): 140 TH/s, 3010 W, 21.5 J/TH.
  { model: 'S19 XP', nominalThs: 140, nominalW: 3010 },
  // Bitmain S21 spec sheet (2023): 200 TH/s, 3500 W, 17.5 J/TH.
  { model: 'S21', nominalThs: 200, nominalW: 3500 },
  // Bitmain S21 Pro spec sheet (2024): 234 TH/s, 3510 W, 15 J/TH.
  { model: 'S21 Pro', nominalThs: 234, nominalW: 3510 },
  // Bitmain T21 spec sheet (2024): 190 TH/s, 3610 W, 19 J/TH.
  { model: 'T21', nominalThs: 190, nominalW: 3610 },
];

/**
 * Fans at minimum plus the control board while the hashboards are off. Bitmain
 * publishes no sleep figure; this is our estimate from the ≈ 40–70 W the
 * emulator and field reports put it at, and is only used when the miner is
 * confirmed asleep.
 */
export const SLEEP_W_ESTIMATE = 60;

const normalize = (name: string) => name.toLowerCase().replace(/^\s*(bitmain\s+)?antminer\s+/, '').replace(/\s+/g, ' ').trim();

const BY_NORMALIZED_MODEL = new Map(ANTMINER_MODELS.map((row) => [normalize(row.model), row]));
/** Every reading looks its Type up; a farm has a handful of distinct Types, so remember the answer per string. */
const byType = new Map<string, AntminerModel | null>();

/** The row for a `stats` Type such as "Antminer S19 Pro", or undefined for a model we have no figures for. */
export function lookupAntminerModel(type: string): AntminerModel | undefined {
  let row = byType.get(type);
  if (row === undefined) {
    row = BY_NORMALIZED_MODEL.get(normalize(type)) ?? null;
    if (byType.size < 1024) byType.set(type, row); // bounded: Types come from the network
  }
  return row ?? undefined;
}

/**
 * Estimated wall power: nominal watts scaled by actual / nominal hashrate
 * (clamped to 0–125 % so a hashrate spike cannot invent kilowatts), never
 * below the sleep draw.
 */
export function estimateAntminerPowerW(model: AntminerModel, hashrateThs: number, sleeping: boolean): number {
  if (sleeping) return SLEEP_W_ESTIMATE;
  const ratio = Math.min(Math.max(hashrateThs / model.nominalThs, 0), 1.25);
  return Math.max(Math.round(model.nominalW * ratio), SLEEP_W_ESTIMATE);
}
