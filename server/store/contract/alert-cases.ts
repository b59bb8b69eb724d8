import assert from 'node:assert/strict';
import type { AlertRepository } from '../alert-repository.js';
import type { AsyncOf, StorePort } from '../store-port.js';
import { addSite } from './seed-site.js';
import { batch, withSink } from './telemetry-rows.js';

const now = 1_700_000_000_000;

/** Alert cases take the store and its `alerts` (the test passes `store.alerts`). */
export interface AlertCase { name: string; run(ctx: { store: StorePort; alerts: AsyncOf<AlertRepository> }): Promise<void> }

/** Alerts as data: at most one open per kind, site, agent and subject. */
export const alertCases: AlertCase[] = [
  {
    name: 'alerts: an alert opens with its site, closes once, and lists by open, site and kind',
    async run({ store, alerts }) {
      const a = await addSite(store, 's-a');
      const over = await alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now, details: { kw: 120.5, allocationKw: 100 } });
      assert.deepEqual(over, {
        id: over.id, kind: 'over_allocation', siteId: a, site: 's-a', subject: null, agentId: null, agent: null, openedAt: now, closedAt: null, details: { kw: 120.5, allocationKw: 100 },
      });
      const hook = await alerts.open({ kind: 'webhook_failing', siteId: null, agentId: null, subject: 'ops', openedAt: now + 1, details: { error: 'refused' } });
      assert.deepEqual([hook.site, hook.subject], [null, 'ops']);
      assert.deepEqual((await alerts.listOpen()).map((x) => x.id), [over.id, hook.id]);
      assert.equal((await alerts.close(over.id, now + 5))?.closedAt, now + 5);
      // Closing again keeps the first close.
      assert.equal((await alerts.close(over.id, now + 9))?.closedAt, now + 5);
      assert.equal(await alerts.close(999_999, now), undefined);
      assert.deepEqual((await alerts.listOpen()).map((x) => x.id), [hook.id]);
      assert.deepEqual((await alerts.list({})).map((x) => x.id), [hook.id, over.id]);
      assert.deepEqual((await alerts.list({ open: true })).map((x) => x.id), [hook.id]);
      assert.deepEqual((await alerts.list({ site: 's-a' })).map((x) => x.id), [over.id]);
      assert.deepEqual((await alerts.list({ kind: 'webhook_failing' })).map((x) => x.id), [hook.id]);
      assert.deepEqual((await alerts.list({ limit: 1 })).map((x) => x.id), [hook.id]);
    },
  },
  {
    name: 'alerts: a second open alert of the same kind and site is refused; after the close it may open again',
    async run({ store, alerts }) {
      const a = await addSite(store, 's-a');
      const first = await alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now, details: {} });
      await assert.rejects(alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now + 1, details: {} }));
      await alerts.open({ kind: 'hard_cap_exceeded', siteId: a, agentId: null, openedAt: now + 1, details: {} });
      await alerts.close(first.id, now + 2);
      await alerts.open({ kind: 'over_allocation', siteId: a, agentId: null, openedAt: now + 3, details: {} });
      assert.equal((await alerts.listOpen()).length, 2);
    },
  },
  {
    name: 'alerts: telemetry gaps since a time are counted per agent with the seqs they miss',
    async run({ store, alerts }) {
      const a = await addSite(store, 's-a');
      const [a1, a2] = [await store.agents.ensure(a, 'a1'), await store.agents.ensure(a, 'a2')];
      assert.deepEqual(await alerts.gapsSince(now), []);
      // Gaps given up on: agentId, session, fromSeq, toSeq; stamped with the batch's time.
      await withSink(store, async (sink) => {
        await sink.write(batch(now - 1, [], { gaps: [a2, 1, 1, 1] }));
        await sink.write(batch(now, [], { gaps: [a1, 1, 5, 7, a1, 2, 10, 10] }));
      });
      assert.deepEqual(await alerts.gapsSince(now), [{ siteId: a, agentId: a1, count: 2, missingSeqs: 4, lastDetectedAt: now }]);
      assert.equal((await alerts.gapsSince(now - 1)).length, 2);
    },
  },
];
