import assert from 'node:assert/strict';
import type { ContractCase } from './collector-cases-store.js';

const now = 1_700_000_000_000;

/** Alerts as data: at most one open per kind, site, agent and subject. */
export const ALERT_CASES: ContractCase[] = [
  {
    name: 'an alert opens with its site, closes once, and lists by open, site and kind',
    async run(store) {
      const a = await store.addSite('s-a');
      const over = await store.alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now, details: { kw: 120.5, allocationKw: 100 } });
      assert.deepEqual(over, {
        id: over.id, kind: 'over_allocation', siteId: a, site: 's-a', subject: null, agentId: null, agent: null, openedAt: now, closedAt: null, details: { kw: 120.5, allocationKw: 100 },
      });
      const hook = await store.alerts.open({ kind: 'webhook_failing', siteId: null, agentId: null, subject: 'ops', openedAt: now + 1, details: { error: 'refused' } });
      assert.deepEqual([hook.site, hook.subject], [null, 'ops']);
      assert.deepEqual((await store.alerts.listOpen()).map((x) => x.id), [over.id, hook.id]);
      assert.equal((await store.alerts.close(over.id, now + 5))?.closedAt, now + 5);
      // Closing again keeps the first close.
      assert.equal((await store.alerts.close(over.id, now + 9))?.closedAt, now + 5);
      assert.equal(await store.alerts.close(999_999, now), undefined);
      assert.deepEqual((await store.alerts.listOpen()).map((x) => x.id), [hook.id]);
      assert.deepEqual((await store.alerts.list({})).map((x) => x.id), [hook.id, over.id]);
      assert.deepEqual((await store.alerts.list({ open: true })).map((x) => x.id), [hook.id]);
      assert.deepEqual((await store.alerts.list({ site: 's-a' })).map((x) => x.id), [over.id]);
      assert.deepEqual((await store.alerts.list({ kind: 'webhook_failing' })).map((x) => x.id), [hook.id]);
      assert.deepEqual((await store.alerts.list({ limit: 1 })).map((x) => x.id), [hook.id]);
    },
  },
  {
    name: 'a second open alert of the same kind and site is refused; after the close it may open again',
    async run(store) {
      const a = await store.addSite('s-a');
      const first = await store.alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now, details: {} });
      await assert.rejects(store.alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now + 1, details: {} }));
      await store.alerts.open({ kind: 'hard_cap_exceeded', siteId: a, agentId: null, openedAt: now + 1, details: {} });
      await store.alerts.close(first.id, now + 2);
      await store.alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now + 3, details: {} });
      assert.equal((await store.alerts.listOpen()).length, 2);
    },
  },
  {
    name: 'no telemetry gaps since a time reads as none',
    async run(store) {
      assert.deepEqual(await store.alerts.gapsSince(now), []);
    },
  },
];
