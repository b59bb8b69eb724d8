import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { counts, sample, startTestPublisher } from '../testing/test-publisher.js';

test('a sleep_count event is planned, shown and confirmed in machines: every machine asleep confirms though the site still draws kW', async () => {
  const prefix = `s${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  const tc = await startTestCollector({ sites: [{ id: site, name: 'A', allocationKw: 500 }]}, { prefix, serveSites: [site] });
  const pub = await startTestPublisher(tc.broker.url, site);
  try {
    await pub.online();
    let seq = 1;
    const send = (kw: number, revision: number | null, hashing: number, sleeping: number) => pub.telemetry(seq++, [sample(Date.now(), kw, { revision, counts: counts(hashing, sleeping) })]);
    await send(300, null, 100, 0);
    await waitFor('site live', async () => (await tc.api(`/api/v1/sites/${site}`)).body.kw === 300);

    // More machines than hash: the shortfall is in machines, not kW.
    const preview = await tc.api('/api/v1/events?dryRun=true', { method: 'POST', body: { scope: { sites: [site] }, kind: 'sleep_count', value: 150, durationS: 600 } });
    assert.equal(preview.status, 200);
    assert.deepEqual(preview.body.machines, { requested: 150, planned: 100, shortfall: 50 });
    assert.equal(preview.body.shortfallKw, 0);
    assert.equal(preview.body.plannedShedKw, 300);

    const created = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [site] }, kind: 'sleep_count', value: 100, durationS: 600 } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.machines, { requested: 100, planned: 100, shortfall: 0, asleep: 0 });
    const id = created.body.id as string;
    const control = await waitFor('control delivered', () => pub.controls.at(-1));
    const rev = control.revision as number;
    await pub.report(rev, 'accepted');
    // Half asleep: progress in machines, not confirmed.
    await send(160, rev, 50, 50);
    const half = await waitFor('half asleep', async () => { const e = (await tc.api(`/api/v1/events/${id}`)).body; return e.machines.asleep === 50 && e; });
    assert.notEqual(half.targets[0].state, 'confirmed');
    assert.equal(half.targets[0].asleep, 50);
    // All asleep: 100 sleeping miners and the site's overhead still draw 22 kW, against a 0 kW plan.
    await send(22, rev, 0, 100);
    const done = await waitFor('confirmed', async () => { const e = (await tc.api(`/api/v1/events/${id}`)).body; return e.targets[0].state === 'confirmed' && e; });
    assert.equal(done.machines.asleep, 100);
    assert.equal(done.targets[0].achievedKw, 278);
  } finally {
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await tc.stop();
  }
});
