import type { Sample, StateCounts } from '../../shared/protocol/index.js';
import type { AgentRow } from '../store/agent-repository.js';

export interface LiveAgent {
  agentId: number;
  agent: string;
  /** From the retained state topic; the Will sets it false. */
  stateOnline: boolean | null;
  lastSeen: number;
  sampleTs: number | null;
  meterKw: number | null;
  meterKwh: number | null;
  minerKw: number;
  hashrateThs: number;
  counts: StateCounts | null;
  revision: number | null;
}

export interface SiteView {
  /** Meter where present, else miner sum, summed over the site's agents. */
  kw: number;
  meterKw: number | null;
  minerKw: number;
  hashrateThs: number;
  counts: StateCounts;
  agentsOnline: number;
  agentsTotal: number;
  online: boolean;
  lastSampleTs: number | null;
  revision: number | null;
}

const ZERO: StateCounts = { hashing: 0, idle: 0, sleeping: 0, offline: 0, error: 0, total: 0 };

/** The "current" view of every site, in memory; built from the agents table at start, then fed by ingest. */
export class LiveState {
  private readonly sites = new Map<number, Map<number, LiveAgent>>();

  constructor(private readonly onlineAfterMs: number) {}

  /**
   * Takes the agents' rows from the store: at start, and again after a
   * live-bus resync (live-bus.ts), so it merges: a row never replaces a newer
   * sample or a later last-seen time already shown.
   */
  load(agents: AgentRow[]): void {
    for (const a of agents) {
      const live = this.agent(a.siteId, a.id, a.agent, a.lastSeen ?? 0);
      live.lastSeen = Math.max(live.lastSeen, a.lastSeen ?? 0);
      if (a.stateTs !== null) live.stateOnline = a.online;
      if (a.sampleTs !== null && (live.sampleTs === null || a.sampleTs > live.sampleTs)) {
        Object.assign(live, { sampleTs: a.sampleTs, meterKw: a.meterKw, meterKwh: a.meterKwh, minerKw: a.minerKw ?? 0, hashrateThs: a.hashrateThs ?? 0, counts: a.counts, revision: a.revision });
      }
    }
  }

  private agent(siteId: number, agentId: number, agent: string, now: number): LiveAgent {
    let site = this.sites.get(siteId);
    if (!site) this.sites.set(siteId, (site = new Map()));
    let a = site.get(agentId);
    if (!a) {
      a = { agentId, agent, stateOnline: null, lastSeen: now, sampleTs: null, meterKw: null, meterKwh: null, minerKw: 0, hashrateThs: 0, counts: null, revision: null };
      site.set(agentId, a);
    }
    return a;
  }

  /** A newer-than-current, non-historical sample; returns false when it is older than what is shown. */
  sample(siteId: number, agentId: number, agent: string, s: Sample, now: number): boolean {
    const a = this.agent(siteId, agentId, agent, now);
    a.lastSeen = Math.max(a.lastSeen, now);
    if (a.sampleTs !== null && s.ts <= a.sampleTs) return false;
    Object.assign(a, { sampleTs: s.ts, meterKw: s.meterKw, meterKwh: s.meterKwh, minerKw: s.minerKw, hashrateThs: s.hashrateThs, counts: s.counts, revision: s.revision });
    return true;
  }

  seen(siteId: number, agentId: number, agent: string, now: number): void {
    const a = this.agent(siteId, agentId, agent, now);
    a.lastSeen = Math.max(a.lastSeen, now);
  }

  state(siteId: number, agentId: number, agent: string, online: boolean, now: number): void {
    const a = this.agent(siteId, agentId, agent, now);
    a.stateOnline = online;
    if (online) a.lastSeen = Math.max(a.lastSeen, now);
  }

  isOnline(a: LiveAgent, now: number): boolean {
    return a.stateOnline !== false && now - a.lastSeen <= this.onlineAfterMs;
  }

  agents(siteId: number): LiveAgent[] {
    return [...(this.sites.get(siteId)?.values() ?? [])];
  }

  view(siteId: number, now: number): SiteView {
    const agents = this.agents(siteId);
    const counts = { ...ZERO };
    let kw = 0, minerKw = 0, ths = 0, online = 0;
    let meterKw: number | null = null;
    let last: number | null = null;
    let revision: number | null = null;
    for (const a of agents) {
      if (this.isOnline(a, now)) online++;
      if (a.sampleTs === null) continue;
      kw += a.meterKw ?? a.minerKw;
      if (a.meterKw !== null) meterKw = (meterKw ?? 0) + a.meterKw;
      minerKw += a.minerKw;
      ths += a.hashrateThs;
      if (a.counts) for (const k of Object.keys(counts) as Array<keyof StateCounts>) counts[k] += a.counts[k];
      last = Math.max(last ?? 0, a.sampleTs);
      revision = a.revision ?? revision;
    }
    return { kw, meterKw, minerKw, hashrateThs: ths, counts, agentsOnline: online, agentsTotal: agents.length, online: online > 0, lastSampleTs: last, revision };
  }

  siteIds(): number[] {
    return [...this.sites.keys()];
  }
}
