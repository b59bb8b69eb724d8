import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { counts, sample, startTestPublisher } from '../testing/test-publisher.js';

test('a confirmed target goes back to holding when the draw rises above it again, confirms again, and achieved MW follows live', async () => {
  const prefix = `r${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  const tc = await startTestCollector({ sites: [{ id: site, name: 'A', allocationKw: 5000 }] }, { prefix, serveSites: [site] });
  const pub = await startTestPublisher(tc.broker.url, site);
  try {
    await pub.online();
    let seq = 1;
    const send = (kw: number, revision: number | null) => pub.telemetry(seq++, [sample(Date.now(), kw, { revision, counts: counts(100) })]);
    await send(3000, null);
    await waitFor('site live', async () => (await tc.api(`/api/v1/sites/${site}`)).body.kw === 3000);
    const created = await tc.api('/api/v1/events', { method: 'POST', token: 'grid', body: { scope: { sites: [site] }, kind: 'limit_to_kw', value: 2000, durationS: 600, reason: 'regression test' } });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const control = await waitFor('control delivered', () => pub.controls.at(-1));
    const rev = control.revision as number;
    const event = async () => (await tc.api(`/api/v1/events/${id}`)).body;
    const stateIs = (state: string) => async () => { const e = await event(); return e.targets[0].state === state && e; };

    await pub.report(rev, 'accepted');
    await send(1950, rev);
    const confirmed = await waitFor('confirmed', stateIs('confirmed'));
    assert.equal(confirmed.achievedMw, 1.05);

    await send(2600, rev); // the farm creeps back up past 2000 × 1.05 + 1
    const regressed = await waitFor('back to holding', stateIs('holding'));
    assert.equal(regressed.achievedMw, 0.4, 'achieved follows the measured draw');
    assert.equal(regressed.targets[0].currentKw, 2600);

    await send(2200, rev); // still above the line: stays holding, achieved still live
    await waitFor('achieved follows while holding', async () => { const e = await event(); return e.targets[0].state === 'holding' && e.achievedMw === 0.8; });

    await send(1900, rev);
    const again = await waitFor('confirmed again', stateIs('confirmed'));
    assert.equal(again.achievedMw, 1.1);
    // A target names its draw measuredKw; achievedKw is kW shed, as on the event.
    assert.equal(again.targets[0].measuredKw, 1900);
    assert.equal(again.targets[0].achievedKw, 1100);
  } finally {
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await tc.stop();
  }
});
