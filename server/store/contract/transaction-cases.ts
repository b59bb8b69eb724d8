import assert from 'node:assert/strict';
import { siteSettings } from './site-cases.js';
import type { ContractCase } from './store-harness.js';

export const transactionCases: ContractCase[] = [
  {
    name: 'transaction: commits what tx wrote when fn resolves (repository methods with their own transaction nest inside) and returns its result',
    async run({ store }) {
      const result = await store.transaction(async (tx) => {
        const { row } = await tx.sites.upsert(siteSettings('t1', { allocationKw: 10 }), 1000);
        const agent = await tx.agents.ensure(row.id, 'a1');
        assert.equal((await tx.sites.get('t1'))!.allocationKw, 10, 'a transaction reads its own writes');
        return agent;
      });
      assert.equal(typeof result, 'number');
      assert.deepEqual((await store.agents.list()).map((a) => [a.site, a.agent, a.id]), [['t1', 'a1', result]]);
    },
  },
  {
    name: 'transaction: a failure rolls back all of tx and rejects with the error; a call made through the store meanwhile is not rolled back with it',
    async run({ store }) {
      await store.sites.upsert(siteSettings('kept'), 1);
      // Another caller (its own async context, as an HTTP request has) writes while the transaction is open.
      let opened!: () => void;
      const outside = new Promise<void>((resolve) => (opened = resolve)).then(() => store.sites.upsert(siteSettings('other-caller'), 1000));
      await assert.rejects(store.transaction(async (tx) => {
        await tx.sites.upsert(siteSettings('t1'), 1000);
        await tx.sites.upsert(siteSettings('kept', { name: 'renamed in the failed transaction' }), 1000);
        opened();
        await tx.sites.get('t1');
        await tx.agents.ensure((await tx.sites.get('t1'))!.id, 'a1');
        throw new Error('planned failure');
      }), /planned failure/);
      await outside;
      assert.deepEqual((await store.sites.list()).map((s) => [s.site, s.name]), [['kept', 'Site kept'], ['other-caller', 'Site other-caller']]);
      assert.deepEqual(await store.agents.list(), []);
    },
  },
  {
    name: 'transaction: a call through the store (not tx) or a second transaction from inside one is refused with a clear error instead of waiting forever',
    async run({ store }) {
      await assert.rejects(store.transaction(async (tx) => {
        await tx.sites.upsert(siteSettings('s1'), 1);
        await store.sites.list();
      }), /a call through the store from inside a store transaction would wait for that transaction forever: use the transaction's tx/);
      await assert.rejects(store.transaction(() => store.transaction(async () => 1)), /a transaction from inside a store transaction/);
      assert.deepEqual(await store.sites.list(), [], 'the failed transaction was rolled back');
      // Work started inside a transaction that runs on after it ended is an ordinary caller again.
      let later: Promise<unknown> | undefined;
      await store.transaction(async () => {
        later = Promise.resolve().then(async () => {
          await new Promise((resolve) => setImmediate(resolve));
          return store.sites.list();
        });
      });
      assert.deepEqual(await later, []);
    },
  },
];
