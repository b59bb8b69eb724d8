import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT, limitEvent } from '../../test/helpers/openadr-events.js';
import { loadSpec, specMissing } from '../../test/helpers/openadr-spec.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { startTestVtn } from './test-vtn.js';

const skip = specMissing();
if (skip) console.log(`# skipped: ${skip}`);

/** Bad input from a VTN is named and counted, and never stops the VEN. */
test('bad input from the VTN: refused credentials, an invalid event, a forged notification and a refused report are named and counted; the rest carries on', { skip, timeout: 60_000 }, async () => {
  const vtn = await startTestVtn({ clients: { [CLIENT.clientId]: CLIENT.clientSecret }, checker: loadSpec() });
  const program = vtn.addProgram('dr');
  const site = `ob-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const openadr = { vtnUrl: vtn.url, auth: CLIENT, venName: 'ven-b', programs: ['dr'], resources: [{ name: 'res-a', sites: [site] }], pollS: 0.3, reportDelayS: 0, retryMinS: 0.2, retryMaxS: 1 };
  const wrong = await startTestCollector({ sites: [{ id: site, name: 'A' }], openadr: { ...openadr, auth: { ...CLIENT, clientSecret: 'not-it' } } });
  try {
    const status = await waitFor('the refusal in the VEN status', async () => {
      const s = (await wrong.api('/api/v1/openadr', { token: 'viewer' })).body;
      return s.lastPollOk === false ? s : undefined;
    });
    assert.match(status.lastError, /token endpoint refused the client credentials \(401\)/);
  } finally {
    await wrong.stop();
  }

  const tc = await startTestCollector({ sites: [{ id: site, name: 'A' }], openadr, http: { host: '127.0.0.1', port: 0 } });
  try {
    // An event the VTN should never have served: intervals without ids. Left out, counted; the valid one beside it is followed.
    vtn.events.set('broken', { id: 'broken', programID: program.id, objectType: 'EVENT', createdDateTime: new Date().toISOString(), modificationDateTime: new Date().toISOString(), intervals: [{ payloads: [] }] });
    vtn.rejectReportsWith(409);
    const good = await vtn.createEvent(limitEvent(program.id, Date.now() + 500, 'PT2S', 100));
    await waitFor('the valid event followed', async () => ((await tc.api('/api/v1/events')).body.events as any[]).some((e) => e.source?.vtnEventId === good.id));
    const s = (await tc.api('/api/v1/openadr')).body;
    assert.ok(s.invalidObjects >= 1, `invalid events counted (${s.invalidObjects})`);

    // A followed event the VTN later serves garbled is unreadable, not deleted: its limit stays.
    const later = await vtn.createEvent(limitEvent(program.id, Date.now() + 3_600_000, 'PT1H', 50));
    await waitFor('the later event followed', async () => ((await tc.api('/api/v1/events')).body.events as any[]).some((e) => e.source?.vtnEventId === later.id));
    vtn.events.set(later.id, { ...later, intervals: [{ payloads: [] }] });
    const before = (await tc.api('/api/v1/openadr')).body.invalidObjects as number;
    await waitFor('two more polls that read it garbled', async () => (await tc.api('/api/v1/openadr')).body.invalidObjects >= before + 4);
    const kept = ((await tc.api('/api/v1/events')).body.events as any[]).find((e) => e.source?.vtnEventId === later.id);
    assert.equal(kept.status, 'scheduled', 'a garbled event cancels nothing');

    const forged = await fetch(`${tc.collector.httpUrl}/openadr/callback`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(forged.status, 401);

    await waitFor('the refused report set aside, not retried', async () => {
      const metrics = await (await fetch(`${tc.collector.httpUrl}/metrics`)).text();
      return /hashwatt_openadr_reports_total\{result="refused"\} 1/.test(metrics) && (await tc.collector.store.openadr.pendingReports()) === 0;
    }, { timeoutMs: 20_000 });
    assert.equal(vtn.reports.length, 0);
    const metrics = await (await fetch(`${tc.collector.httpUrl}/metrics`)).text();
    assert.match(metrics, /hashwatt_openadr_invalid_total\{object="event"\} [1-9]/);
    // The checker sees the two deliberate faults, and nothing of the VEN's.
    const unexpected = vtn.violations.filter((v) => !/GET \/events\?.*intervals\/0 must have required property 'id'/.test(v) && !/POST \/reports 409/.test(v));
    assert.deepEqual(unexpected, []);
    assert.ok(vtn.violations.some((v) => v.includes("intervals/0 must have required property 'id'")), 'the broken event was caught by the checker too');
  } finally {
    await tc.stop();
    await vtn.stop();
  }
});
