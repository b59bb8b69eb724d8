import type { Logger } from '../../shared/log/logger.js';
import type { LeaderEvents, LeaderListener } from './leader-lease.js';

/**
 * The listeners of one election. Emitting calls each listener and logs what
 * it throws or rejects with: a failing job must not stop the election from
 * renewing, or from stepping down on time.
 */
export class LeaderEventHub {
  private readonly listeners: { [E in keyof LeaderEvents]: Set<LeaderListener<E>> } = { gained: new Set(), renewed: new Set(), lost: new Set() };

  constructor(private readonly log: Logger) {}

  on<E extends keyof LeaderEvents>(event: E, listener: LeaderListener<E>): void {
    (this.listeners[event] as Set<LeaderListener<E>>).add(listener);
  }

  off<E extends keyof LeaderEvents>(event: E, listener: LeaderListener<E>): void {
    (this.listeners[event] as Set<LeaderListener<E>>).delete(listener);
  }

  emit<E extends keyof LeaderEvents>(event: E, ...args: LeaderEvents[E]): void {
    for (const listener of [...(this.listeners[event] as Set<LeaderListener<E>>)]) {
      try {
        const result = listener(...args);
        if (result instanceof Promise) result.catch((err: unknown) => this.log.error({ err, event }, 'leader event listener failed'));
      } catch (err) {
        this.log.error({ err, event }, 'leader event listener failed');
      }
    }
  }
}
