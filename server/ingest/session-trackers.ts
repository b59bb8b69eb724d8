import type { Logger } from '../../shared/log/logger.js';
import type { StoreRepositories } from '../store/store-port.js';
import { AckTracker } from './ack-tracker.js';

/** Who a session belongs to: the ids ingest resolved and the names acks are sent to. */
export interface AgentRef {
  siteId: number;
  site: string;
  agentId: number;
  agent: string;
}

/** One agent session's ack state, and who to ack. */
export interface SessionTracker {
  tracker: AckTracker;
  ref: AgentRef;
  session: number;
  used: number;
}

/** Sessions idle this long with nothing outstanding are forgotten (rebuilt from the store if they speak again). */
const IDLE_MS = 3_600_000;

/**
 * The ack trackers of the agent sessions ingest follows. A tracker starts from
 * the store (the persisted ack and the seqs committed above it), so acks survive
 * a restart; sessions are opened in one store query per batch, not per agent
 * (10,000 agents starting a session at once used to block the event loop for
 * ~0.5 s with two queries each, and no PUBACK reached the broker meanwhile).
 */
export function createSessionTrackers(options: { telemetry: StoreRepositories['telemetry']; gapTimeoutMs: number; log: Logger }) {
  const { telemetry, gapTimeoutMs, log } = options;
  const trackers = new Map<string, SessionTracker>();
  const keyOf = (agentId: number, session: number) => `${agentId}:${session}`;

  /**
   * Opens the sessions not followed yet, from one store query for all of them.
   * Usually every session is followed already and nothing is awaited.
   */
  function open(wanted: Iterable<{ ref: AgentRef; session: number }>, now: number): Promise<void> | undefined {
    const missing = new Map<string, { ref: AgentRef; session: number }>();
    for (const w of wanted) {
      const key = keyOf(w.ref.agentId, w.session);
      if (!trackers.has(key) && !missing.has(key)) missing.set(key, w);
    }
    if (missing.size === 0) return undefined;
    const list = [...missing.values()];
    return telemetry.progress(list.map((w) => ({ agentId: w.ref.agentId, session: w.session, known: 0 }))).then((known) => {
      list.forEach(({ ref, session }, i) => {
        const key = keyOf(ref.agentId, session);
        // Another batch may have opened it while this read was out: the one already in use stays.
        if (!trackers.has(key)) trackers.set(key, { tracker: new AckTracker(known[i]!.acked, known[i]!.seqs, gapTimeoutMs), ref, session, used: now });
      });
    });
  }

  return {
    open,
    /** The tracker of a session opened before (open()). */
    of(ref: AgentRef, session: number, now: number): SessionTracker {
      const t = trackers.get(keyOf(ref.agentId, session));
      if (!t) throw new Error(`session ${session} of agent ${ref.site}/${ref.agent} was not opened`);
      t.used = now;
      return t;
    },
    /**
     * Share group: fills the holes of these trackers with what the store holds
     * (other collectors' commits, acks they persisted), one query for all of them.
     * A failed read only leaves the acks where they were; the next try is soon.
     */
    async catchUp(behind: SessionTracker[], now: number): Promise<void> {
      try {
        const found = await telemetry.progress(behind.map((t) => ({ agentId: t.ref.agentId, session: t.session, known: t.tracker.state.acked })));
        behind.forEach((t, i) => t.tracker.adopt(found[i]!.acked, found[i]!.seqs, now));
      } catch (err) {
        log.error({ err, sessions: behind.length }, 'reading the store for acks failed');
      }
    },
    withHoles(): SessionTracker[] {
      return [...trackers.values()].filter((t) => t.tracker.hasGap());
    },
    /** Forgets idle sessions with nothing outstanding; returns the rest, to check for expired gaps. */
    sweep(now: number): SessionTracker[] {
      const kept: SessionTracker[] = [];
      for (const [key, t] of trackers) {
        if (now - t.used > IDLE_MS && !t.tracker.hasGap()) trackers.delete(key);
        else kept.push(t);
      }
      return kept;
    },
  };
}
export type SessionTrackers = ReturnType<typeof createSessionTrackers>;
