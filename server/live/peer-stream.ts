import type { LiveBus } from './live-bus.js';
import type { StreamHub } from './stream-hub.js';

/**
 * What this collector tells its SSE clients that is not an ingest commit, also
 * told to its peers' (docs/architecture.md#live-updates-across-collectors): the
 * leader alone evaluates violations and alerts and drives events, and any
 * collector may take an API call, so without this a dashboard connected to
 * one collector would miss what happened on another. The peers' side is
 * peer-live-updates.ts; a message from a peer goes to the local hub only, so
 * nothing echoes.
 */
export interface PeerStream {
  /** hub.now here, and the same message to every peer's SSE clients. */
  now(type: string, data: unknown): void;
  /** An event changed here: the peers re-send it from the store. Coalesced (a fan-out changes one event a thousand times a second). */
  eventChanged(eventId: string): void;
  /** Sends what is still coalescing (shutdown). */
  flush(): void;
}

export function createPeerStream(hub: StreamHub, bus: LiveBus, coalesceMs = 250): PeerStream {
  const events = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (events.size === 0) return;
    const ids = [...events];
    events.clear();
    void bus.publish(ids.map((eventId) => ({ kind: 'event', eventId })));
  };
  return {
    now(type, data) {
      hub.now(type, data);
      void bus.publish([{ kind: 'stream', type, data }]);
    },
    eventChanged(eventId) {
      events.add(eventId);
      if (!timer) {
        timer = setTimeout(flush, coalesceMs);
        timer.unref();
      }
    },
    flush,
  };
}
