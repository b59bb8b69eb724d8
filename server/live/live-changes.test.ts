import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommittedBatch } from '../ingest/ingest.js';
import { liveChangesOf } from './live-changes.js';

const counts = { hashing: 1, idle: 0, sleeping: 0, offline: 0, error: 0, total: 1 };
const ref = (agentId: number, siteId = 1) => ({ siteId, site: `s${siteId}`, agentId, agent: `gw-${agentId}` });
/** The agent as a change names it: ids and name, not the site's key. */
const who = (agentId: number, siteId = 1) => ({ siteId, agentId, agent: `gw-${agentId}` });
const sample = (ts: number) => ({ ts, meterKw: 10, meterKwh: null, minerKw: 9, hashrateThs: 100, counts, revision: null, estimatedKw: 1 });

test('a commit becomes state changes in order, each agent\'s newest sample, "seen" only for agents without one, and the born agents\' sites', () => {
  const batch: CommittedBatch = {
    latest: [{ ...ref(1), sample: sample(2000) }, { ...ref(1), sample: sample(3000) }, { ...ref(2), sample: sample(2500) }],
    states: [{ ...ref(3, 2), online: false }, { ...ref(3, 2), online: true }],
    births: [ref(4, 3), ref(5, 3)],
    reports: [],
    seen: [ref(1), ref(2), ref(3, 2), ref(3, 2)],
    dirty: [],
    newSites: [],
  };
  const live = (ts: number) => ({ ts, meterKw: 10, meterKwh: null, minerKw: 9, hashrateThs: 100, counts, revision: null });
  assert.deepEqual(liveChangesOf(batch, 9000), [
    { kind: 'state', ...who(3, 2), at: 9000, online: false },
    { kind: 'state', ...who(3, 2), at: 9000, online: true },
    { kind: 'seen', ...who(3, 2), at: 9000 },
    { kind: 'sample', ...who(1), at: 9000, sample: live(3000) },
    { kind: 'sample', ...who(2), at: 9000, sample: live(2500) },
    { kind: 'site', siteId: 3 },
  ]);
});
