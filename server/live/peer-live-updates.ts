import type { Logger } from '../../shared/log/logger.js';
import type { AgentRow } from '../store/agent-repository.js';
import type { LiveBusConsumer, LiveChange, ResyncReason } from './live-bus.js';
import type { LiveState } from './live-state.js';

export interface PeerLiveUpdatesOptions {
  live: LiveState;
  /** Re-sends a site's summary to this collector's SSE clients (createSiteUpdates). */
  siteChanged(siteId: number): void;
  /** Re-sends an event to the SSE clients: hub.publish('event', id, …). */
  eventChanged(eventId: string): void;
  /** Forwards a peer's immediate message: hub.now(type, data). */
  streamNow(type: string, data: unknown): void;
  /** An agent of the site announced itself (birth) at a peer: a control waiting for agents can go out now. */
  agentAppeared?(siteId: number): void;
  /** A peer's sample changed a site's live view (every collector's compliance follows every site with it). */
  sampled?(siteId: number, ts: number): void;
  /** The agents' rows from the store, for a resync. */
  loadAgents(): Promise<AgentRow[]> | AgentRow[];
  log: Logger;
  clock: () => number;
}

export interface PeerLiveUpdates extends LiveBusConsumer {
  /** Settles when no resync is running (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * Applies peers' live changes to this collector's LiveState and re-sends what
 * they touched, as the commit pipeline does for this collector's own ingest
 * (commit-pipeline.ts), so an SSE client of any collector sees every site.
 * Only the live view: compliance, events and alerts act once, on the leader,
 * from the store.
 */
export function createPeerLiveUpdates(options: PeerLiveUpdatesOptions): PeerLiveUpdates {
  const { live, siteChanged, log, clock } = options;
  let resyncing: Promise<void> | undefined;
  let resyncAgain = false;

  function apply(c: LiveChange, now: number, sites: Set<number>): void {
    switch (c.kind) {
      case 'sample':
        // A peer's clock a little ahead must not keep an agent "online" past its time here.
        if (live.sample(c.siteId, c.agentId, c.agent, c.sample, Math.min(c.at, now))) {
          sites.add(c.siteId);
          options.sampled?.(c.siteId, c.sample.ts);
        }
        return;
      case 'seen':
        live.seen(c.siteId, c.agentId, c.agent, Math.min(c.at, now));
        return;
      case 'state':
        live.state(c.siteId, c.agentId, c.agent, c.online, Math.min(c.at, now));
        sites.add(c.siteId);
        return;
      case 'site':
        sites.add(c.siteId);
        options.agentAppeared?.(c.siteId);
        return;
      case 'event':
        options.eventChanged(c.eventId);
        return;
      case 'stream':
        options.streamNow(c.type, c.data);
        return;
    }
  }

  async function reload(reason: ResyncReason): Promise<void> {
    do {
      resyncAgain = false;
      try {
        live.load(await options.loadAgents());
        for (const siteId of live.siteIds()) siteChanged(siteId);
        log.info({ reason, sites: live.siteIds().length }, 'live view resynced from the store');
      } catch (err) {
        log.warn({ err, reason }, 'live view resync failed; it catches up with the next changes');
      }
    } while (resyncAgain);
  }

  return {
    onChanges(changes) {
      const now = clock();
      const sites = new Set<number>();
      for (const c of changes) apply(c, now, sites);
      for (const siteId of sites) siteChanged(siteId);
    },
    onResync(reason) {
      // One reload at a time; a request during one runs one more after it (the store may have moved on).
      if (resyncing) {
        resyncAgain = true;
        return;
      }
      resyncing = reload(reason).finally(() => (resyncing = undefined));
    },
    idle: () => resyncing ?? Promise.resolve(),
  };
}
