import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger } from '../../shared/log/logger.js';
import { uniqueId } from '../../test/helpers/broker.js';
import { loadSpec, specMissing } from '../../test/helpers/openadr-spec.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { planDemoSites } from '../demo/demo-plan.js';
import { startDemo } from '../demo/start-demo.js';
import { startTestVtn } from './test-vtn.js';
import { testStoreConfig } from '../testing/test-store.js';

const skip = specMissing();
if (skip) console.log(`# skipped: ${skip}`);

/**
 * Done-when 1 of issue 19: a VTN (made from the specification, every exchange
 * checked against openadr3.yaml) publishes an IMPORT_CAPACITY_LIMIT event with
 * two intervals for one resource; the collector, as a VEN, turns it into a
 * scheduled limit on the resource's site, the real agent carries it out over
 * MQTT (embedded broker, then Mosquitto), telemetry confirms it, and a USAGE and
 * OPERATING_STATE report per interval reaches the VTN.
 */
test('an IMPORT_CAPACITY_LIMIT event with two intervals: scheduled limit carried out by the agent, confirmed, USAGE reported per interval', { skip, timeout: 240_000 }, async () => {
  const spec = loadSpec();
  const vtn = await startTestVtn({ clients: { 'ven-client': 'ven-secret' }, tokenLifetimeS: 8, checker: spec });
  const program = vtn.addProgram('hashwatt-dr');
  const dataDir = await mkdtemp(join(tmpdir(), 'hashwatt-openadr-'));
  const idPrefix = `${uniqueId('o')}-`;
  const [plan] = planDemoSites({ sites: 1, miners: 16, idPrefix });
  const siteId = plan!.id;
  const demo = await startDemo({
    sites: 1, miners: 16, timeFactor: 0.05, dataDir, httpPort: 0, mqttPort: 0, rampSeconds: 0,
    store: await testStoreConfig(dataDir), ...(process.env.MQTT_URL ? { mqttUrl: process.env.MQTT_URL } : {}),
    siteIdPrefix: idPrefix, pollCron: '*/1 * * * * *', log: createSilentLogger(),
    openadr: {
      vtnUrl: vtn.url, auth: { clientId: 'ven-client', clientSecret: 'ven-secret' }, venName: 'hashwatt-test', programs: ['hashwatt-dr'],
      resources: [{ name: 'meter-ekb', sites: [siteId] }], pollS: 1, reportDelayS: 2, retryMinS: 0.5, retryMaxS: 2, requestTimeoutS: 5,
    },
  });
  const api = async (path: string, init: { method?: string } = {}) => {
    const res = await fetch(`${demo.httpUrl}${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${demo.tokens.grid}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  try {
    const site = await waitFor('the site online with live kW', async () => {
      const s = (await api(`/api/v1/sites/${siteId}`)).body;
      return s.online && s.kw > 0 && s.counts.hashing === s.counts.total ? s : undefined;
    }, { timeoutMs: 30_000 });
    const drawKw = site.kw as number;
    const first = Math.round(drawKw * 0.55);
    const second = Math.round(drawKw * 0.8);
    const start = Date.now() + 4_000;
    const vtnEvent = await vtn.createEvent({
      programID: program.id, eventName: 'evening peak', priority: 0, targets: ['meter-ekb'],
      payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' }],
      reportDescriptors: [{ payloadType: 'USAGE', readingType: 'DIRECT_READ', units: 'KWH' }, { payloadType: 'OPERATING_STATE' }],
      // Interval 0 takes the event's period; interval 1 its own duration, starting where 0 ends.
      // Long enough that a loaded machine still confirms each while it is in force.
      intervalPeriod: { start: new Date(start).toISOString(), duration: 'PT45S' },
      intervals: [
        { id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [first] }] },
        { id: 1, intervalPeriod: { duration: 'PT30S' }, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [second] }] },
      ],
    });

    // Two hashwatt events, one per interval, owned by the VEN and read-only for people.
    const mine = await waitFor('two hashwatt events for the VTN event', async () => {
      const list = ((await api('/api/v1/events')).body.events as any[]).filter((e) => e.source?.vtnEventId === vtnEvent.id);
      return list.length === 2 ? list.sort((a, b) => a.startTs - b.startTs) : undefined;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(mine.map((e) => [e.kind, e.value, e.source.intervalId, e.source.programName, e.createdBy, e.priority]), [
      ['limit_to_kw', first, 0, 'hashwatt-dr', 'openadr:hashwatt-test', 'high'],
      ['limit_to_kw', second, 1, 'hashwatt-dr', 'openadr:hashwatt-test', 'high'],
    ]);
    assert.equal(mine[0].startTs, start);
    assert.equal(mine[1].startTs, start + 45_000);
    assert.equal(mine[1].endTs, start + 75_000);
    assert.equal((await api(`/api/v1/events/${mine[0].id}`, { method: 'DELETE' })).status, 409, 'an operator cannot cancel what the VTN owns');
    const audit = (await api('/api/v1/audit?action=event.create&actor=openadr:hashwatt-test')).body.entries as Array<{ target: string; actorKind: string }>;
    assert.deepEqual(mine.map((e) => audit.some((a) => a.target === e.id)), [true, true], 'each interval\'s event is in the audit log, by the VEN');

    // The agent holds the whole schedule: both steps in the control it was sent.
    const control = await waitFor('a control whose schedule has both intervals', async () => {
      const c = (await api(`/api/v1/sites/${siteId}`)).body.control;
      return c?.schedule?.length === 2 ? c : undefined;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(control.schedule.map((s: any) => [s.from, s.until, s.mode, s.value]), [[start, start + 45_000, 'max_kw', first], [start + 45_000, start + 75_000, 'max_kw', second]]);

    const confirmedFirst = await waitFor('the first interval confirmed from telemetry', async () => {
      const e = (await api(`/api/v1/events/${mine[0].id}`)).body;
      return e.status === 'active' && e.targets.length === 1 && e.targets[0].state === 'confirmed' ? e : undefined;
    }, { timeoutMs: 45_000 });
    assert.ok(confirmedFirst.targets[0].currentKw <= first * 1.05 + 1, `site at ${confirmedFirst.targets[0].currentKw} kW under a ${first} kW limit`);
    await waitFor('the second interval in force and confirmed', async () => {
      const e = (await api(`/api/v1/events/${mine[1].id}`)).body;
      return e.status === 'active' && e.targets[0]?.state === 'confirmed';
    }, { timeoutMs: 60_000 });

    const reports = await waitFor('a report per interval at the VTN', () => {
      const r = vtn.reports.filter((x) => x.eventID === vtnEvent.id);
      return r.length >= 2 ? r : undefined;
    }, { timeoutMs: 60_000 });
    assert.equal(reports.length, 2, 'each interval reported once');
    const byInterval = new Map(reports.map((r) => [r.resources[0].intervals[0].id as number, r]));
    for (const [id, limit] of [[0, first], [1, second]] as const) {
      const r = byInterval.get(id)!;
      assert.equal(r.clientName, 'hashwatt-test');
      assert.equal(r.resources[0].resourceName, 'meter-ekb');
      const payloads = Object.fromEntries((r.resources[0].intervals[0].payloads as any[]).map((p) => [p.type, p.values[0]]));
      const hours = (id === 0 ? 45 : 30) / 3600;
      assert.ok(payloads.USAGE > 0, `interval ${id} USAGE ${payloads.USAGE} kWh`);
      // The ramp down (interval 0) and up (interval 1) take seconds: usage lies between the limit's energy and the unlimited draw's.
      assert.ok(payloads.USAGE <= drawKw * hours * 1.1, `interval ${id}: ${payloads.USAGE} kWh at most what the site draws unlimited`);
      assert.ok(payloads.USAGE < (limit + (drawKw - limit) / 2) * hours || id === 1, `interval ${id}: ${payloads.USAGE} kWh shows the limit held`);
      assert.equal(payloads.OPERATING_STATE, 'RUNNING_CURTAILED');
    }
    assert.ok(vtn.counts.tokenRequests >= 2, `the 8 s token was refreshed (${vtn.counts.tokenRequests} token requests)`);
    assert.deepEqual(vtn.violations, [], 'every request and response conforms to openadr3.yaml');
  } finally {
    await demo.stop();
    await vtn.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
