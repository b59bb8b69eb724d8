import type { Logger } from '../../shared/log/logger.js';
import type { ClusterConfig } from './cluster-config.js';
import { LeaderEventHub } from './leader-events.js';
import type { LeaderElection, LeaderTerm } from './leader-lease.js';

/**
 * The embedded SQLite case: one collector process owns the database file, so
 * it is always the leader, with epoch 1. Same interface as the PostgreSQL
 * lease so the jobs that must run once start and stop the same way.
 */
export function createSingleLeader(cluster: ClusterConfig, log: Logger): LeaderElection {
  const events = new LeaderEventHub(log);
  const term: LeaderTerm = { name: cluster.name, holder: 'single', epoch: 1 };
  let leading = false;
  return {
    holder: term.holder,
    on: (event, listener) => events.on(event, listener),
    off: (event, listener) => events.off(event, listener),
    async start() {
      if (leading) return;
      leading = true;
      log.info({ lease: term.name, epoch: term.epoch }, 'single collector: leader by construction');
      events.emit('gained', term);
    },
    async stop() {
      if (!leading) return;
      leading = false;
      events.emit('lost', term, 'stopped');
    },
    isLeader: () => leading,
    currentTerm: () => (leading ? term : undefined),
    epoch: () => (leading ? term.epoch : undefined),
  };
}
