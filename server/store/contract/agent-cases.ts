import assert from 'node:assert/strict';
import { siteSettings } from './site-cases.js';
import type { ContractCase } from './store-harness.js';

const counts = { hashing: 8, idle: 0, sleeping: 1, offline: 0, error: 1, total: 10 };

export const agentCases: ContractCase[] = [
  {
    name: 'agents: ensure creates an agent once; state, birth, touch and the latest sample are kept, older ones never overwrite newer',
    async run({ store }) {
      const site = (await store.sites.upsert(siteSettings('s1'), 1)).row;
      const a = await store.agents.ensure(site.id, 'gw-b');
      assert.equal(await store.agents.ensure(site.id, 'gw-b'), a);
      const b = await store.agents.ensure(site.id, 'gw-a');
      assert.notEqual(a, b);
      const fresh = (await store.agents.listBySite(site.id)).find((r) => r.id === a)!;
      assert.deepEqual(fresh, {
        id: a, siteId: site.id, site: 's1', agent: 'gw-b', online: false, session: null, stateTs: null, birth: null, lastSeen: null, sampleTs: null,
        meterKw: null, meterKwh: null, minerKw: null, hashrateThs: null, counts: null, revision: null,
      });

      await store.agents.setState(a, true, 7, 1000, 1100);
      await store.agents.setState(a, false, 6, 900, 1200); // an older state message arriving late
      await store.agents.setBirth(a, { v: 1, miners: 10, caps: ['sleep'] }, 7, 1050);
      await store.agents.setLatest(a, { ts: 2000, meterKw: 50.5, meterKwh: 1234.5, minerKw: 48, hashrateThs: 900, counts, revision: 3 }, 2100);
      await store.agents.setLatest(a, { ts: 1500, meterKw: 1, meterKwh: 1, minerKw: 1, hashrateThs: 1, counts, revision: 1 }, 2200);
      const row = (await store.agents.list()).find((r) => r.id === a)!;
      assert.deepEqual(row, {
        id: a, siteId: site.id, site: 's1', agent: 'gw-b', online: true, session: 7, stateTs: 1000, birth: { v: 1, miners: 10, caps: ['sleep'] }, lastSeen: 2100,
        sampleTs: 2000, meterKw: 50.5, meterKwh: 1234.5, minerKw: 48, hashrateThs: 900, counts, revision: 3,
      });
      await store.agents.touch(a, 3000);
      assert.equal((await store.agents.listBySite(site.id)).find((r) => r.id === a)!.lastSeen, 3000);
      await store.agents.touchMany([a, b], 4000);
      await store.agents.touchMany([], 5000);
      assert.deepEqual((await store.agents.listBySite(site.id)).map((r) => [r.agent, r.lastSeen]), [['gw-a', 4000], ['gw-b', 4000]]);

      const other = (await store.sites.upsert(siteSettings('a0'), 1)).row;
      await store.agents.ensure(other.id, 'z');
      assert.deepEqual((await store.agents.list()).map((r) => `${r.site}/${r.agent}`), ['a0/z', 's1/gw-a', 's1/gw-b'], 'by site, then agent');
      assert.deepEqual((await store.agents.listBySite(site.id)).map((r) => r.agent), ['gw-a', 'gw-b']);
    },
  },
];
