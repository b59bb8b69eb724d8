import type { Logger } from '../../shared/log/logger.js';
import type { LeaderElection, LeaderTerm } from './leader-lease.js';

/** A job that must run once in the cluster: it runs for one term and stops when `signal` aborts. */
export type LeaderJob = (term: LeaderTerm, signal: AbortSignal) => void | Promise<void>;

/**
 * Starts `job` at the beginning of every term this process leads (at once
 * when it already leads) and aborts its signal when the term ends, so a
 * reconciler or scheduler stops acting the moment leadership is lost. The
 * job's failure is logged; it does not end the term. Returns a detach that
 * also aborts a running job.
 */
export function runWhileLeader(election: LeaderElection, job: LeaderJob, log: Logger): () => void {
  let running: { term: LeaderTerm; controller: AbortController } | undefined;
  const begin = (term: LeaderTerm) => {
    running?.controller.abort();
    const controller = new AbortController();
    running = { term, controller };
    Promise.resolve()
      .then(() => job(term, controller.signal))
      .catch((err: unknown) => log.error({ err, epoch: term.epoch }, 'leader job failed'));
  };
  const end = (term: LeaderTerm) => {
    if (running?.term !== term) return;
    running.controller.abort();
    running = undefined;
  };
  election.on('gained', begin);
  election.on('lost', end);
  const current = election.currentTerm();
  if (current) begin(current);
  return () => {
    election.off('gained', begin);
    election.off('lost', end);
    running?.controller.abort();
    running = undefined;
  };
}
