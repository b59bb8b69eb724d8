import type { DecodedMessage } from '../../shared/protocol/index.js';
import { forEachInParallel } from '../../shared/async/for-each-in-parallel.js';
import type { StorePort } from '../store/store-port.js';
import type { AgentRef } from './session-trackers.js';

/** New sites and agents looked up at once (below the PostgreSQL pool's 10 connections: the sink needs some). */
const LOOKUPS_IN_FLIGHT = 6;

/**
 * The ingest's ids of sites and agents by name, cached: a message from an
 * agent seen before costs no store call. An unknown site is created flagged
 * (grey miners are visible, never silently ignored); its name goes to `newSites`.
 */
export function createAgentRefs(store: Pick<StorePort, 'sites' | 'agents'>) {
  const siteIds = new Map<string, number>();
  const agentIds = new Map<string, number>();

  async function siteIdOf(site: string, now: number, newSites: string[]): Promise<number> {
    let id = siteIds.get(site);
    if (id !== undefined) return id;
    const row = await store.sites.get(site);
    if (row) id = row.id;
    else {
      const created = await store.sites.createUnknown(site, now);
      id = created.id;
      if (created.created) newSites.push(site);
    }
    siteIds.set(site, id);
    return id;
  }

  /** The ids of a message's site and agent when both are known (nearly always): no store call. */
  function knownRef(m: { site: string; agent: string }): AgentRef | undefined {
    const siteId = siteIds.get(m.site);
    const agentId = siteId === undefined ? undefined : agentIds.get(`${siteId}/${m.agent}`);
    return agentId === undefined ? undefined : { siteId: siteId!, site: m.site, agentId, agent: m.agent };
  }

  async function refOf(m: { site: string; agent: string }, now: number, newSites: string[]): Promise<AgentRef> {
    const siteId = await siteIdOf(m.site, now, newSites);
    const key = `${siteId}/${m.agent}`;
    let agentId = agentIds.get(key);
    if (agentId === undefined) {
      agentId = await store.agents.ensure(siteId, m.agent);
      agentIds.set(key, agentId);
    }
    return { siteId, site: m.site, agentId, agent: m.agent };
  }

  return {
    /**
     * Every message's site and agent ids (null for the collectors' own state). Agents seen
     * before cost nothing; new ones (every agent at a collector's first contact: 10,000 at
     * once on a fleet that size) are looked up or created several at a time, sites first so
     * two agents of one new site do not both create it: on PostgreSQL each is a round trip.
     */
    async refsOf(messages: DecodedMessage[], now: number, newSites: string[]): Promise<Array<AgentRef | null>> {
      const unknown = new Map<string, { site: string; agent: string }>();
      for (const m of messages) if (m.kind !== 'collector/state' && !knownRef(m)) unknown.set(`${m.site}/${m.agent}`, m);
      const resolved = new Map<string, AgentRef>();
      if (unknown.size > 0) {
        const sites = [...new Set([...unknown.values()].map((u) => u.site))].filter((site) => !siteIds.has(site));
        await forEachInParallel(sites, LOOKUPS_IN_FLIGHT, (site) => siteIdOf(site, now, newSites));
        await forEachInParallel([...unknown], LOOKUPS_IN_FLIGHT, async ([key, u]) => resolved.set(key, await refOf(u, now, newSites)));
      }
      return messages.map((m) => (m.kind === 'collector/state' ? null : (knownRef(m) ?? resolved.get(`${m.site}/${m.agent}`)!)));
    },
    /** Forgets one site's id (it was created or changed through the API). */
    forgetSite(site: string): void {
      siteIds.delete(site);
    },
    /** Forgets every id (a batch failed: what it created may have been rolled back). */
    clear(): void {
      siteIds.clear();
      agentIds.clear();
    },
  };
}
