import type { EmulatedMiner, MinerSnapshot } from '../emulated-miner.js';

/**
 * The cgminer `pools` rows of each firmware family, in the field names and
 * types each one really uses (bmminer 49, LUXminer 2025.4, btminer 2021; held
 * to real captures by sim/fidelity). They differ in small ways clients trip on:
 * bmminer's "Pool Stale%%" and "Diff", LuxOS's "Long Pool" and GROUP,
 * btminer's numeric "Last Share Time" and 1-based POOL.
 */

export type PoolFlavor = 'bmminer' | 'luxminer' | 'btminer';

export interface PoolSetting {
  url: string;
  user: string;
}

export function defaultPools(miner: EmulatedMiner): PoolSetting[] {
  return [
    { url: 'stratum+tcp://pool.example:3333', user: `hashwatt.${miner.id}` },
    { url: 'stratum+tcp://backup.pool.example:3333', user: `hashwatt.${miner.id}` },
    { url: 'stratum+tcp://solo.pool.example:3333', user: `hashwatt.${miner.id}` },
  ];
}

const DIFFICULTY = 65_536;

/** "0:00:03" (bmminer) or "00:00:03" (LuxOS): time since the last share. */
function clock(seconds: number, pad: boolean): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${pad ? String(h).padStart(2, '0') : h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

export function poolRows(flavor: PoolFlavor, miner: EmulatedMiner, s: MinerSnapshot, pools: readonly PoolSetting[]): Array<Record<string, unknown>> {
  const now = Math.floor(s.now / 1000);
  const hashing = s.hashrateThs > 0;
  return pools.map((p, i) => {
    const active = i === 0 && hashing;
    const accepted = active ? Math.floor(s.uptimeS / 4) : 0;
    const stratumUrl = p.url.replace(/^stratum\+tcp:\/\//, '');
    const row: Record<string, unknown> = {
      Accepted: accepted,
      'Best Share': active ? DIFFICULTY * 37 : 0,
      'Diff1 Shares': active ? accepted * 64 : 0,
      'Difficulty Accepted': accepted * DIFFICULTY,
      'Difficulty Rejected': 0,
      'Difficulty Stale': 0,
      Discarded: active ? accepted * 3 : 0,
      'Get Failures': 0,
      Getworks: active ? Math.floor(s.uptimeS / 10) : 0,
      'Has GBT': false,
      'Has Stratum': true,
      'Last Share Difficulty': active ? DIFFICULTY : 0,
      POOL: flavor === 'btminer' ? i + 1 : i,
      'Pool Rejected%': 0,
      Priority: i,
      Proxy: '',
      'Proxy Type': '',
      Quota: 1,
      Rejected: 0,
      'Remote Failures': 0,
      Stale: 0,
      Status: i === 0 || flavor === 'bmminer' ? 'Alive' : 'Dead',
      'Stratum Active': active,
      'Stratum URL': flavor === 'luxminer' ? stratumUrl : stratumUrl.replace(/:\d+$/, ''),
      URL: p.url,
      User: p.user,
    };
    if (flavor === 'bmminer') {
      row.Diff = active ? '65.5K' : '';
      row['Last Share Time'] = active ? clock(3, false) : '0';
      row['Long Poll'] = 'N';
      row['Pool Stale%%'] = 0;
      return row;
    }
    // LUXminer and btminer share cgminer 4.x's later fields.
    Object.assign(row, {
      'Bad Work': 0,
      'Current Block Height': active ? 920_000 + Math.floor(now / 600) % 1000 : 0,
      'Current Block Version': active ? 536_870_912 : 0,
      'Pool Stale%': 0,
      'Stratum Difficulty': active ? DIFFICULTY : 0,
      'Work Difficulty': active ? DIFFICULTY : 0,
      Works: active ? Math.floor(s.uptimeS * 7000) : 0,
    });
    if (flavor === 'luxminer') {
      Object.assign(row, { AsicBoost: true, Diff: active ? '65.5K' : '0', GROUP: 0, 'Has Vmask': true, 'Last Share Time': active ? clock(1, true) : '0', 'Long Pool': 'N' });
    } else {
      Object.assign(row, { 'Last Share Time': active ? now - 2 : 0, 'Long Poll': 'N' });
    }
    return row;
  });
}
