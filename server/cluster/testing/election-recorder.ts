import type { LeaderElection, LeaderTerm, LostReason } from '../leader-lease.js';

/** What an in-process election did, with performance.now() times, for tests to wait on and compare. */
export interface ElectionRecord {
  gained: Array<{ term: LeaderTerm; at: number }>;
  renewed: Array<{ term: LeaderTerm; at: number }>;
  lost: Array<{ term: LeaderTerm; reason: LostReason; at: number }>;
}

export function recordElection(election: LeaderElection): ElectionRecord {
  const record: ElectionRecord = { gained: [], renewed: [], lost: [] };
  election.on('gained', (term) => void record.gained.push({ term, at: performance.now() }));
  election.on('renewed', (term) => void record.renewed.push({ term, at: performance.now() }));
  election.on('lost', (term, reason) => void record.lost.push({ term, reason, at: performance.now() }));
  return record;
}
