import type { MinerDetail } from '../../shared/protocol/index.js';

export interface MinerRow {
  miner: string; agent: string; model: string; firmware: string; state: string; w: number | null; powerSource: string | null;
  ths: number; jth: number | null; tempC: number | null; asleepByAgent: boolean | null; ts: number;
}

/** One stored detail part: the agent that sent it, its time, and the message whose `miners` array is the detail. */
export interface DetailPart {
  agent: string;
  ts: number;
  body: string;
}

/**
 * A site's miners from its detail parts (both stores keep the newest part per
 * agent and part number): each miner at its newest report, least efficient first
 * (no J/TH last), then by id; `limit` and `offset` page that order.
 */
export function pageOfMiners(parts: Iterable<DetailPart>, limit: number, offset: number): { total: number; miners: MinerRow[] } {
  const newest = new Map<string, MinerRow>();
  for (const part of parts) {
    // Stored only after the codec validated the message, so the shape holds.
    for (const m of (JSON.parse(part.body) as { miners: MinerDetail[] }).miners) {
      const seen = newest.get(m.id);
      if (seen && seen.ts >= part.ts) continue;
      newest.set(m.id, {
        miner: m.id, agent: part.agent, model: m.model, firmware: m.firmware, state: m.state, w: m.w, powerSource: m.powerSource ?? null,
        ths: m.ths, jth: m.jth, tempC: m.tempC, asleepByAgent: m.asleepByAgent ?? null, ts: part.ts,
      });
    }
  }
  const all = [...newest.values()].sort((a, b) =>
    a.jth === null || b.jth === null ? Number(a.jth === null) - Number(b.jth === null) || byId(a, b) : b.jth - a.jth || byId(a, b));
  return { total: all.length, miners: all.slice(offset, offset + limit) };
}

const byId = (a: MinerRow, b: MinerRow): number => (a.miner < b.miner ? -1 : a.miner > b.miner ? 1 : 0);
