import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../../shared/log/logger.js';
import { DEFAULT_CLUSTER_CONFIG } from './cluster-config.js';
import { createLeaderElection } from './leader-lease.js';
import { recordElection } from './testing/election-recorder.js';

test('the embedded (SQLite) collector leads from start to stop at epoch 1', async () => {
  const election = createLeaderElection({ kind: 'single' }, DEFAULT_CLUSTER_CONFIG, createSilentLogger());
  const record = recordElection(election);
  assert.equal(election.isLeader(), false);
  await election.start();
  assert.equal(election.isLeader(), true);
  assert.equal(election.epoch(), 1);
  assert.deepEqual(record.gained.map((g) => g.term), [{ name: 'hashwatt', holder: 'single', epoch: 1 }]);
  await election.stop();
  assert.equal(election.isLeader(), false);
  assert.equal(election.currentTerm(), undefined);
  assert.deepEqual(record.lost.map((l) => l.reason), ['stopped']);
});

test('a listener that throws is logged and does not stop the others', async () => {
  const election = createLeaderElection({ kind: 'single' }, DEFAULT_CLUSTER_CONFIG, createSilentLogger());
  election.on('gained', () => {
    throw new Error('job failed to start');
  });
  const record = recordElection(election);
  await election.start();
  assert.equal(record.gained.length, 1);
  assert.equal(election.isLeader(), true);
});
