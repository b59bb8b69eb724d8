import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT, limitEvent } from '../../test/helpers/openadr-events.js';
import { loadSpec, specMissing } from '../../test/helpers/openadr-spec.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { startTestVtn } from './test-vtn.js';

const skip = specMissing();
if (skip) console.log(`# skipped: ${skip}`);

/** Reports: never lost while the VTN is away, once per interval when it was modified midway, aggregated when asked. */
test('a VTN that errs, is slow, or is down for 5 minutes across a collector restart: nothing cancelled, the report arrives once', { skip, timeout: 90_000 }, async () => {
  const vtn = await startTestVtn({ clients: { [CLIENT.clientId]: CLIENT.clientSecret }, checker: loadSpec(), slowMs: 3000 });
  const program = vtn.addProgram('dr');
  let offset = 0;
  const clock = () => Date.now() + offset;
  const dataDir = await mkdtemp(join(tmpdir(), 'hashwatt-openadr-down-'));
  const site = `od-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const overrides = {
    sites: [{ id: site, name: 'A' }],
    openadr: { vtnUrl: vtn.url, auth: CLIENT, venName: 'ven-d', programs: ['dr'], resources: [{ name: 'res-a', sites: [site] }], pollS: 0.3, reportDelayS: 0, retryMinS: 1, retryMaxS: 60, requestTimeoutS: 1 },
  };
  let tc = await startTestCollector(overrides, { dataDir, clock });
  const ofVtn = async (id: string) => ((await tc.api('/api/v1/events')).body.events as any[]).filter((e) => e.source?.vtnEventId === id);
  try {
    const short = await vtn.createEvent(limitEvent(program.id, clock() + 1500, 'PT3S', 100));
    const long = await vtn.createEvent(limitEvent(program.id, clock() + 3_600_000, 'PT1H', 50));
    await waitFor('both events polled', async () => (await ofVtn(short.id)).length === 1 && (await ofVtn(long.id)).length === 1);

    vtn.setMode('error');
    await waitFor('a poll answered 500', async () => (await tc.collector.ven!.status()).lastError?.includes('answered 500'));
    vtn.setMode('slow');
    await waitFor('a poll out of time', async () => (await tc.collector.ven!.status()).lastError?.includes('did not answer'), { timeoutMs: 15_000 });
    await vtn.down();
    await waitFor('a poll refused', async () => (await tc.collector.ven!.status()).lastPollOk === false && vtn.counts.requests > 0);

    await waitFor('the short event over and its report queued', async () => (await tc.collector.store.openadr.pendingReports()) === 1, { timeoutMs: 20_000 });
    assert.equal((await ofVtn(long.id))[0].status, 'scheduled', 'a VTN that errs, is slow or is down cancels nothing');
    // Five minutes of the VTN being down, on the collector's clock: retried with backoff, kept.
    for (let minute = 1; minute <= 5; minute++) {
      const before = (await tc.collector.store.openadr.dueReports(Number.MAX_SAFE_INTEGER))[0]!.attempts;
      offset += 60_000;
      await waitFor(`another delivery attempt after minute ${minute}`, async () => (await tc.collector.store.openadr.dueReports(Number.MAX_SAFE_INTEGER))[0]!.attempts > before);
    }
    const queued = await tc.collector.store.openadr.dueReports(Number.MAX_SAFE_INTEGER);
    assert.equal(queued.length, 1);
    assert.match(queued[0]!.lastError ?? '', /did not answer/);
    assert.equal(vtn.reports.length, 0);

    await tc.stop(); // with the report still queued
    tc = await startTestCollector(overrides, { dataDir, clock });
    assert.equal(await tc.collector.store.openadr.pendingReports(), 1, 'the queue survived the restart');
    vtn.revokeTokens(); // the old token is void too: the VEN must fetch another
    const tokensBefore = vtn.counts.tokenRequests;
    await vtn.up();
    vtn.setMode('up');
    offset += 60_000; // past the backoff
    await waitFor('the report at the VTN', () => vtn.reports.length === 1, { timeoutMs: 20_000 });
    await waitFor('the queue empty', async () => (await tc.collector.store.openadr.pendingReports()) === 0);
    assert.equal(vtn.reports.length, 1, 'delivered once');
    assert.equal(vtn.reports[0]!.eventID, short.id);
    assert.ok(vtn.counts.tokenRequests > tokensBefore);

    // Deletion seen by polling (no subscription configured).
    await vtn.deleteEvent(long.id);
    await waitFor('the deleted event cancelled', async () => (await ofVtn(long.id))[0]?.status === 'cancelled');
    assert.deepEqual(vtn.violations, []);
  } finally {
    await tc.stop();
    await vtn.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('an interval modified while in force is reported once, over the whole interval', { skip, timeout: 60_000 }, async () => {
  const vtn = await startTestVtn({ clients: { [CLIENT.clientId]: CLIENT.clientSecret }, checker: loadSpec() });
  const program = vtn.addProgram('dr');
  const site = `om-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const tc = await startTestCollector({ sites: [{ id: site, name: 'A' }], openadr: { vtnUrl: vtn.url, auth: CLIENT, venName: 'ven-m', programs: ['dr'], resources: [{ name: 'res-a', sites: [site] }], pollS: 0.3, reportDelayS: 0 } });
  const ofVtn = async (id: string) => ((await tc.api('/api/v1/events')).body.events as any[]).filter((e) => e.source?.vtnEventId === id);
  try {
    const start = Date.now() + 1000;
    const ev = await vtn.createEvent(limitEvent(program.id, start, 'PT4S', 100));
    await waitFor('the interval in force', async () => (await ofVtn(ev.id))[0]?.status === 'active', { timeoutMs: 15_000 });
    await vtn.updateEvent(ev.id, { intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [70] }] }] });
    const both = await waitFor('the replacement in force', async () => { const l = await ofVtn(ev.id); return l.some((e) => e.value === 70 && e.status === 'active') ? l : undefined; }, { timeoutMs: 15_000 });
    assert.equal(both.find((e) => e.value === 100).status, 'cancelled');
    await waitFor('every report built and sent', async () => (await ofVtn(ev.id)).every((e) => e.status !== 'active') && (await tc.collector.store.openadr.unreported()).length === 0 && (await tc.collector.store.openadr.pendingReports()) === 0, { timeoutMs: 20_000 });
    const reports = vtn.reports.filter((r) => r.eventID === ev.id);
    assert.equal(reports.length, 1, 'one report for the interval, not one per version');
    assert.deepEqual(reports[0]!.resources[0].intervals[0].intervalPeriod, { start: new Date(start).toISOString(), duration: 'PT4S' });
    assert.deepEqual(vtn.violations, []);
  } finally {
    await tc.stop();
    await vtn.stop();
  }
});

test('reportDescriptors with aggregate: one AGGREGATED_REPORT for an interval over every resource', { skip, timeout: 60_000 }, async () => {
  const vtn = await startTestVtn({ clients: { [CLIENT.clientId]: CLIENT.clientSecret }, checker: loadSpec() });
  const program = vtn.addProgram('dr');
  const tag = `${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const [a, b] = [`oa-${tag}`, `ob-${tag}`];
  const tc = await startTestCollector({
    sites: [{ id: a, name: 'A' }, { id: b, name: 'B' }],
    openadr: { vtnUrl: vtn.url, auth: CLIENT, venName: 'ven-g', programs: ['dr'], resources: [{ name: 'res-a', sites: [a] }, { name: 'res-b', sites: [b] }], pollS: 0.3, reportDelayS: 0 },
  });
  try {
    const ev = await vtn.createEvent({ ...limitEvent(program.id, Date.now() + 500, 'PT2S', 100), reportDescriptors: [{ payloadType: 'OPERATING_STATE', aggregate: true }] });
    await waitFor('the report at the VTN', () => vtn.reports.some((r) => r.eventID === ev.id), { timeoutMs: 20_000 });
    await waitFor('nothing left to report', async () => (await tc.collector.store.openadr.unreported()).length === 0 && (await tc.collector.store.openadr.pendingReports()) === 0);
    const reports = vtn.reports.filter((r) => r.eventID === ev.id);
    assert.equal(reports.length, 1, 'one report for both resources');
    assert.deepEqual(reports[0]!.resources.map((r: { resourceName: string }) => r.resourceName), ['AGGREGATED_REPORT']);
    // No agent reported on these sites: no invented usage, and the state says so.
    assert.deepEqual(reports[0]!.resources[0].intervals[0].payloads, [{ type: 'OPERATING_STATE', values: ['ERROR'] }]);
    assert.deepEqual(vtn.violations, []);
  } finally {
    await tc.stop();
    await vtn.stop();
  }
});
