import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../../shared/log/logger.js';
import { DEFAULT_CLUSTER_CONFIG } from './cluster-config.js';
import { createLeaderElection } from './leader-lease.js';
import type { LeaderTerm } from './leader-lease.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { runWhileLeader } from './while-leader.js';

test('a leader job runs for the term and is aborted when the term ends', async () => {
  const log = createSilentLogger();
  const election = createLeaderElection({ kind: 'single' }, DEFAULT_CLUSTER_CONFIG, log);
  const runs: Array<{ term: LeaderTerm; signal: AbortSignal }> = [];
  runWhileLeader(election, (term, signal) => void runs.push({ term, signal }), log);

  await election.start();
  await waitFor('the job to start', () => runs.length === 1);
  assert.equal(runs[0]!.term.epoch, 1);
  assert.equal(runs[0]!.signal.aborted, false);
  await election.stop();
  assert.equal(runs[0]!.signal.aborted, true, 'the job is told to stop when leadership ends');
});

test('attached while already leading, the job starts at once; detaching aborts it; a failing job is logged', async () => {
  const log = createSilentLogger();
  const election = createLeaderElection({ kind: 'single' }, DEFAULT_CLUSTER_CONFIG, log);
  await election.start();
  const signals: AbortSignal[] = [];
  const detach = runWhileLeader(election, async (_term, signal) => {
    signals.push(signal);
    throw new Error('job failed');
  }, log);
  await waitFor('the job to start', () => signals.length === 1);
  assert.equal(election.isLeader(), true, 'a failing job does not end the term');
  detach();
  assert.equal(signals[0]!.aborted, true);
});
