import type { EmulatedMiner, MinerSnapshot } from '../emulated-miner.js';

/**
 * The per-chain `stats` row Bitmain's bmminer prints and LuxOS keeps (captures
 * bmminer 49.0.1.3 and LUXminer 2025.4.8): four chain slots whatever the
 * number of boards (an S19 has three; slot 4 is empty), chip counts and chip
 * status strings (`chain_acn`, `chain_acs`), per-board rates as strings, and
 * three temperature triplets per slot as "a-b-c-d" strings.
 */

const SLOTS = 4;

/** ASICs per hashboard by model (vendor specs). */
export function chipsPerBoard(model: string): number {
  if (/S19k/i.test(model)) return 77;
  if (/S21/i.test(model)) return 108;
  if (/XP/i.test(model)) return 110;
  if (/S19j/i.test(model)) return 126;
  return 114;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** " ooo ooo …": one 'o' per healthy chip, grouped per voltage domain. */
function chipStatus(chips: number, perGroup: number): string {
  let out = '';
  for (let i = 0; i < chips; i++) out += (i % perGroup === 0 ? ' ' : '') + 'o';
  return out;
}

export interface BitmainStatsFlavor {
  minerVersion: string;
  /** What an empty slot's `chain_rate` says: bmminer "", LuxOS "0". */
  emptyRate: '' | '0';
  /** LuxOS reports frequencies and temperatures as floats (300.0). */
  floats: boolean;
}

export function bitmainStatsRow(miner: EmulatedMiner, s: MinerSnapshot, flavor: BitmainStatsFlavor): Record<string, unknown> {
  const boards = s.boardTempsC.length;
  const ghs = round2(s.hashrateThs * 1000);
  const chips = chipsPerBoard(miner.spec.model);
  const freq = s.hashrateThs > 0 ? 525 : 0;
  const row: Record<string, unknown> = {
    Calls: 0, Elapsed: s.uptimeS, 'GHS 5s': ghs, 'GHS av': ghs, ID: 'BTM_SOC0', Max: 0, Min: 99999999, Mode: 2, STATS: 0, Wait: 0,
  };
  const slots = Math.max(SLOTS, boards);
  for (let i = 1; i <= slots; i++) {
    const t = s.boardTempsC[i - 1];
    const present = t !== undefined;
    row[`chain_acn${i}`] = present ? chips : 0;
    row[`chain_acs${i}`] = present ? chipStatus(chips, flavor.floats ? 4 : 3) : '';
    row[`chain_hw${i}`] = present ? Math.floor(s.uptimeS / 300) : 0;
    row[`chain_rate${i}`] = present ? (ghs / boards).toFixed(2) : flavor.emptyRate;
    row[`freq${i}`] = present ? freq : 0;
    const chip = present ? Math.round(t) : 0;
    const triplet = (offset: number) => (present ? [chip - offset, chip - offset - 23, chip - offset - 9, chip - offset - 8].map((v) => Math.max(0, v)).join('-') : '0-0-0-0');
    row[`temp_chip${i}`] = triplet(0);
    row[`temp_pcb${i}`] = triplet(5);
    row[`temp_pic${i}`] = triplet(15);
  }
  s.fanRpm.forEach((rpm, i) => (row[`fan${i + 1}`] = Math.round(rpm)));
  s.boardTempsC.forEach((t, i) => {
    row[`temp${i + 1}`] = Math.round(t) - 5;
    row[`temp2_${i + 1}`] = Math.round(t);
  });
  Object.assign(row, {
    fan_num: s.fanRpm.length,
    frequency: freq,
    miner_count: boards,
    miner_id: miner.mac.replace(/:/g, '').toLowerCase() + miner.serial.slice(-4).toLowerCase(),
    miner_version: flavor.minerVersion,
    no_matching_work: Math.floor(s.uptimeS / 90),
    rate_30m: ghs,
    rate_unit: 'GH',
    temp_max: boards ? Math.round(Math.max(...s.boardTempsC)) : 0,
    temp_num: boards,
    'total rate': ghs,
    total_acn: chips * boards,
    total_freqavg: freq,
    total_rateideal: round2(miner.spec.nominalThs * 1000),
  });
  return row;
}
