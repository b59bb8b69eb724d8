import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentRow } from '../store/agent-repository.js';
import { LiveState } from './live-state.js';

const counts = { hashing: 1, idle: 0, sleeping: 0, offline: 0, error: 0, total: 1 };
function row(sampleTs: number | null, meterKw: number | null, lastSeen: number | null): AgentRow {
  return {
    id: 7, siteId: 1, site: 's1', agent: 'gw', online: true, session: 1, stateTs: 100, birth: null, lastSeen,
    sampleTs, meterKw, meterKwh: null, minerKw: meterKw, hashrateThs: 10, counts: sampleTs === null ? null : counts, revision: null,
  };
}

test('loading rows again (a live-bus resync) takes newer samples from the store and never rolls a newer one back', () => {
  const live = new LiveState(60_000);
  live.load([row(1000, 50, 1000)]);
  assert.equal(live.view(1, 1000).kw, 50);

  // Live is ahead of the store (a sample already shown): the older row leaves it alone.
  live.sample(1, 7, 'gw', { ts: 3000, meterKw: 80, meterKwh: null, minerKw: 80, hashrateThs: 10, counts, revision: null }, 3000);
  live.load([row(2000, 60, 2000)]);
  assert.deepEqual([live.view(1, 3000).kw, live.view(1, 3000).lastSampleTs], [80, 3000]);

  // The store is ahead (a peer's sample this collector was never told of): the row wins.
  live.load([row(4000, 90, 4000)]);
  assert.deepEqual([live.view(1, 4000).kw, live.view(1, 4000).lastSampleTs], [90, 4000]);
  assert.equal(live.view(1, 4000 + 59_000).agentsOnline, 1, 'last seen moved with the row');
  assert.equal(live.agents(1).length, 1, 'the same agent, not a second one');
});
