import type { Logger } from '../../shared/log/logger.js';
import type { Repositories } from '../store/repositories.js';
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
export function createSessionTrackers(options: { repos: Repositories; gapTimeoutMs: number; log: Logger }) {
  const { repos, gapTimeoutMs, log } = options;
  const trackers = new Map<string, SessionTracker>();
  const keyOf = (agentId: number, session: number) => `${agentId}:${session}`;

  /** Opens the sessions not followed yet, from one store query for all of them. */
  function open(wanted: Iterable<{ ref: AgentRef; session: number }>, now: number): void {
    const missing = new Map<string, { ref: AgentRef; session: number }>();
    for (const w of wanted) {
      const key = keyOf(w.ref.agentId, w.session);
      if (!trackers.has(key) && !missing.has(key)) missing.set(key, w);
    }
    if (missing.size === 0) return;
    const list = [...missing.values()];
    const known = repos.telemetry.progress(list.map((w) => ({ agentId: w.ref.agentId, session: w.session, known: 0 })));
    list.forEach(({ ref, session }, i) => {
      trackers.set(keyOf(ref.agentId, session), { tracker: new AckTracker(known[i]!.acked, known[i]!.seqs, gapTimeoutMs), ref, session, used: now });
    });
  }

  return {
    open,
    /** The tracker of a session, opened from the store when not followed yet. */
    of(ref: AgentRef, session: number, now: number): SessionTracker {
      open([{ ref, session }], now);
      const t = trackers.get(keyOf(ref.agentId, session))!;
      t.used = now;
      return t;
    },
    /**
     * Share group: fills the holes of these trackers with what the store holds
     * (other collectors' commits, acks they persisted), one query for all of them.
     * A failed read only leaves the acks where they were; the next try is soon.
     */
    catchUp(behind: SessionTracker[], now: number): void {
      try {
        const found = repos.telemetry.progress(behind.map((t) => ({ agentId: t.ref.agentId, session: t.session, known: t.tracker.state.acked })));
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
