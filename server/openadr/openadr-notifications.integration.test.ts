import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, uniqueId } from '../../test/helpers/broker.js';
import { freePort } from '../../test/helpers/mosquitto.js';
import { CLIENT, limitEvent } from '../../test/helpers/openadr-events.js';
import { loadSpec, specMissing } from '../../test/helpers/openadr-spec.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { startTestVtn } from './test-vtn.js';

const skip = specMissing();
if (skip) console.log(`# skipped: ${skip}`);

/** How the VEN hears of changes sooner than its next poll: webhook subscriptions and 3.1 MQTT notifications. */
test('webhook notifications: a modified event updates the limit, a deleted one cancels it', { skip, timeout: 60_000 }, async () => {
  const vtn = await startTestVtn({ clients: { [CLIENT.clientId]: CLIENT.clientSecret }, checker: loadSpec() });
  const program = vtn.addProgram('dr');
  const port = await freePort();
  const site = `ow-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const tc = await startTestCollector({
    http: { host: '127.0.0.1', port },
    sites: [{ id: site, name: 'A' }],
    // A poll an hour apart: whatever changes below can only have come by webhook.
    openadr: { vtnUrl: vtn.url, auth: CLIENT, venName: 'ven-w', programs: ['dr'], resources: [{ name: 'res-a', sites: [site] }], pollS: 3600, callbackUrl: `http://127.0.0.1:${port}/openadr/callback` },
  });
  const ofVtn = async (id: string) => ((await tc.api('/api/v1/events')).body.events as any[]).filter((e) => e.source?.vtnEventId === id);
  try {
    await waitFor('the VEN subscribed to the program\'s events', () => vtn.subscriptions.length === 1);
    assert.equal(vtn.subscriptions[0]!.programID, program.id);
    const start = Date.now() + 600_000;
    const ev = await vtn.createEvent(limitEvent(program.id, start, 'PT1H', 100));
    const [created] = await waitFor('the event arrived by webhook', async () => { const l = await ofVtn(ev.id); return l.length === 1 ? l : undefined; });
    assert.deepEqual([created.kind, created.value, created.status, created.startTs], ['limit_to_kw', 100, 'scheduled', start]);

    await vtn.updateEvent(ev.id, { intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [80] }] }] });
    const after = await waitFor('the modification replaced the limit', async () => {
      const l = await ofVtn(ev.id);
      return l.length === 2 && l.some((e) => e.status === 'scheduled' && e.value === 80) ? l : undefined;
    });
    assert.equal(after.find((e) => e.value === 100).status, 'cancelled');

    await vtn.deleteEvent(ev.id);
    await waitFor('the deletion cancelled the limit', async () => (await ofVtn(ev.id)).every((e) => e.status === 'cancelled'));

    const forged = await fetch(`http://127.0.0.1:${port}/openadr/callback`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer guess' }, body: JSON.stringify({ objectType: 'EVENT', operation: 'DELETE', object: {} }) });
    assert.equal(forged.status, 401, 'a callback without the subscription\'s token is refused');
    assert.deepEqual(vtn.violations, []);
  } finally {
    await tc.stop();
    await vtn.stop();
  }
});

test('OpenADR 3.1 MQTT notifications: the VEN takes the VTN\'s broker and topics from /notifiers; created, modified and deleted events arrive over MQTT', { skip, timeout: 60_000 }, async () => {
  const broker = await startTestBroker();
  const root = uniqueId('oadr');
  const vtn = await startTestVtn({ clients: { [CLIENT.clientId]: CLIENT.clientSecret }, checker: loadSpec(), mqtt: { url: broker.url, topicRoot: root } });
  const program = vtn.addProgram('dr');
  const site = `oq-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  // Polls an hour apart: after the first, changes can only have come over MQTT.
  const tc = await startTestCollector({ sites: [{ id: site, name: 'A' }], openadr: { vtnUrl: vtn.url, auth: CLIENT, venName: 'ven-q', programs: ['dr'], resources: [{ name: 'res-a', sites: [site] }], pollS: 3600 } }, { broker });
  const ofVtn = async (id: string) => ((await tc.api('/api/v1/events')).body.events as any[]).filter((e) => e.source?.vtnEventId === id);
  try {
    await waitFor('the VEN on the VTN\'s MQTT notifier', async () => (await tc.api('/api/v1/openadr')).body.notifications?.mqtt === true);
    const ev = await vtn.createEvent(limitEvent(program.id, Date.now() + 600_000, 'PT1H', 90));
    await waitFor('the event arrived over MQTT', async () => (await ofVtn(ev.id)).some((e) => e.value === 90 && e.status === 'scheduled'));
    await vtn.updateEvent(ev.id, { intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [60] }] }] });
    await waitFor('the modification arrived over MQTT', async () => (await ofVtn(ev.id)).some((e) => e.value === 60 && e.status === 'scheduled'));
    await vtn.deleteEvent(ev.id);
    await waitFor('the deletion arrived over MQTT', async () => (await ofVtn(ev.id)).every((e) => e.status === 'cancelled'));
    assert.equal(vtn.subscriptions.length, 0, 'no webhook was involved');
    assert.deepEqual(vtn.violations, []);
  } finally {
    await tc.stop();
    await vtn.stop();
    await broker.stop();
  }
});
