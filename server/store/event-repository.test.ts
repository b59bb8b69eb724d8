import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../shared/log/logger.js';
import { openDatabase } from './database.js';
import { createRepositories } from './repositories.js';
import type { EventRow } from './event-repository.js';

const now = 1_700_000_000_000;
const event = (id: string, status: EventRow['status']): EventRow => ({
  id, kind: 'limit_to_kw', value: 100, scope: { all: true }, startTs: now, endTs: now + 600_000, priority: 'normal', level: 'sleep', reason: 'test',
  status, requestedKw: 100, createdBy: 'test', createdAt: now, endedAt: null,
});

// The event tick asks each second which live targets never became a control (the collector
// stopped between storing them and signing): it must name exactly those sites.
test('unsentTargetSites names the sites of live targets still pending without a revision', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-event-repo-'));
  try {
    const repos = createRepositories(openDatabase(dir, createLogger({ level: 'silent' })));
    const [a, b, c] = ['s-a', 's-b', 's-c'].map((s) => repos.sites.createUnknown(s, now).id) as [number, number, number];
    const target = (siteId: number) => ({ siteId, mode: 'max_kw' as const, value: 100, targetKw: 100, baselineKw: 500, shedKw: 400 });
    repos.events.insertEvent(event('live', 'active'), [target(a), target(b)], now);
    repos.events.insertEvent(event('later', 'scheduled'), [target(c)], now);
    repos.events.insertEvent(event('over', 'completed'), [target(a), target(b), target(c)], now);
    assert.deepEqual(repos.events.unsentTargetSites().sort(), [a, b, c].sort());
    repos.events.updateTarget('live', a, { state: 'sent', revision: 1 }, now);
    repos.events.updateTarget('later', c, { state: 'pending', revision: 2 }, now);
    assert.deepEqual(repos.events.unsentTargetSites(), [b]);
    repos.events.setStatus('live', 'cancelled', now);
    assert.deepEqual(repos.events.unsentTargetSites(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
