import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withFreshStore } from './contract/store-harness.js';
import { siteSettings } from './contract/site-cases.js';
import { batch, sample, samplesRow, withSink } from './contract/telemetry-rows.js';

const T0 = Date.UTC(2026, 11, 1, 10);

test('SQLite store: a transaction waits for an async call already running (a chunked rollup refresh), so a rollback cannot take its chunks with it', async () => {
  await withFreshStore('sqlite', async ({ store }) => {
    const site = (await store.sites.upsert(siteSettings('s1'), 1)).row.id;
    const agent = await store.agents.ensure(site, 'a1');
    const minutes = Array.from({ length: 30 }, (_, i) => T0 + i * 60_000);
    await withSink(store, (sink) => sink.write(batch(T0, [samplesRow({ siteId: site, agentId: agent, seq: 1 }, minutes.map((t) => sample(t)))])));
    // One minute per chunk: the refresh yields to the event loop 29 times.
    const refresh = store.rollups.refresh(minutes.map((bucket) => ({ siteId: site, bucket })), 1);
    const failed = store.transaction(async (tx) => {
      await tx.sites.upsert(siteSettings('rolled-back'), 1);
      throw new Error('planned failure');
    });
    assert.equal(await refresh, 30);
    await assert.rejects(failed, /planned failure/);
    assert.equal((await store.rollups.series(site, T0, T0 + 30 * 60_000, 60_000)).length, 30, 'every refreshed minute is kept');
    assert.equal(await store.sites.get('rolled-back'), undefined);
  });
});
