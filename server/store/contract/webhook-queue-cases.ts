import assert from 'node:assert/strict';
import type { ContractCase } from './store-harness.js';

const now = 1_700_000_000_000;

/** The webhook delivery queue: per target, oldest first, kept until delivered. */
export const webhookQueueCases: ContractCase[] = [
  {
    name: 'webhooks: a notification is queued per target and delivered in order',
    async run({ store }) {
      await store.webhooks.enqueue(['ops', 'grid'], 'event.created', '{"id":"e1"}', now);
      await store.webhooks.enqueue(['ops'], 'event.ended', '{"id":"e1"}', now + 1);
      await store.webhooks.enqueue([], 'nobody', '{}', now + 2);
      const head = await store.webhooks.head('ops');
      assert.deepEqual(head, { id: head!.id, target: 'ops', type: 'event.created', body: '{"id":"e1"}', createdAt: now, attempts: 0, nextAttemptAt: now, lastError: null });
      assert.deepEqual((await store.webhooks.depth()).sort((x, y) => x.target.localeCompare(y.target)),
        [{ target: 'grid', queued: 1, oldestAt: now }, { target: 'ops', queued: 2, oldestAt: now }]);
      await store.webhooks.failed(head!.id, now + 5_000, 'e'.repeat(700));
      const again = await store.webhooks.head('ops');
      assert.deepEqual([again!.id, again!.attempts, again!.nextAttemptAt, again!.lastError?.length], [head!.id, 1, now + 5_000, 500]);
      await store.webhooks.delivered(head!.id);
      assert.equal((await store.webhooks.head('ops'))?.type, 'event.ended');
      assert.equal(await store.webhooks.head('nobody'), undefined);
    },
  },
  {
    name: 'webhooks: dropping a target removes its queue and says how many it dropped',
    async run({ store }) {
      await store.webhooks.enqueue(['old', 'kept'], 't', '{}', now);
      await store.webhooks.enqueue(['old'], 't', '{}', now);
      assert.equal(await store.webhooks.dropTarget('old'), 2);
      assert.equal(await store.webhooks.dropTarget('old'), 0);
      assert.deepEqual((await store.webhooks.depth()).map((d) => d.target), ['kept']);
    },
  },
];
