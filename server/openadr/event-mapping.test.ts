import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapEvent } from './event-mapping.js';
import { OadrEventSchema } from './oadr-objects.js';
import { OpenAdrConfigSchema } from './openadr-config.js';

const config = OpenAdrConfigSchema.parse({
  vtnUrl: 'http://vtn.test', auth: { clientId: 'c', clientSecret: 's' }, venName: 'ven-1', programs: ['p'],
  resources: [{ name: 'r-a', sites: ['site-a'] }, { name: 'r-north', regions: ['north'] }],
  simple: { levels: { 1: { percent: 20 }, 2: { kw: 300 }, 3: { percent: 100 } } },
  price: { above: 0.2, limitKw: 50 },
});
const T0 = Date.parse('2026-12-01T10:00:00Z');
const ctx = { config, programName: 'p', now: T0 - 60_000, drawKw: () => 1000 };
const event = (over: Record<string, unknown>) => OadrEventSchema.parse({ id: 'e1', programID: 'p1', modificationDateTime: '2026-12-01T09:00:00Z', ...over });

test('IMPORT_CAPACITY_LIMIT: one hashwatt limit per interval and targeted resource, intervals following each other', () => {
  const m = mapEvent(event({
    targets: ['r-a'], priority: 0,
    payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'MW' }],
    intervalPeriod: { start: '2026-12-01T10:00:00Z', duration: 'PT1H' },
    intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [1.5] }] }, { id: 1, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [2] }] }],
  }), ctx);
  assert.deepEqual(m.intervals.map((i) => [i.intervalId, i.resource, i.startTs - T0, i.request.kind, i.request.value, i.request.durationS, i.request.priority, i.request.scope]), [
    [0, 'r-a', 0, 'limit_to_kw', 1500, 3600, 'high', { sites: ['site-a'] }],
    [1, 'r-a', 3_600_000, 'limit_to_kw', 2000, 3600, 'high', { sites: ['site-a'] }],
  ]);
  assert.deepEqual(m.reportTypes, ['USAGE', 'OPERATING_STATE'], 'both reports by default');
});

test('no targets: every resource; an interval with its own period overrides; randomizeStart moves the start the same way every time', () => {
  const e = event({
    intervalPeriod: { start: '2026-12-01T10:00:00Z', duration: 'PT30M', randomizeStart: 'PT5M' },
    intervals: [{ id: 7, intervalPeriod: { start: '2026-12-01T12:00:00Z', duration: 'PT10M' }, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [100] }] }],
  });
  const a = mapEvent(e, ctx);
  const b = mapEvent(e, ctx);
  assert.deepEqual(a.intervals.map((i) => i.resource), ['r-a', 'r-north']);
  assert.deepEqual(a.intervals[1]!.request.scope, { regions: ['north'] });
  const offset = a.intervals[0]!.startTs - Date.parse('2026-12-01T12:00:00Z');
  assert.ok(offset >= 0 && offset <= 300_000, `offset ${offset} ms within randomizeStart`);
  assert.equal(a.intervals[0]!.startTs, b.intervals[0]!.startTs);
  assert.equal(a.intervals[0]!.endTs, Date.parse('2026-12-01T12:10:00Z'), 'the interval still ends when the VTN said');
});

test('SIMPLE levels, PRICE threshold, and what is ignored', () => {
  const m = mapEvent(event({
    targets: ['r-a'],
    intervalPeriod: { start: '0001-01-01T00:00:00Z', duration: 'PT15M' },
    intervals: [
      { id: 0, payloads: [{ type: 'SIMPLE', values: [1] }] },
      { id: 1, payloads: [{ type: 'SIMPLE', values: [2] }] },
      { id: 2, payloads: [{ type: 'SIMPLE', values: [3] }] },
      { id: 3, payloads: [{ type: 'SIMPLE', values: [0] }] },
      { id: 4, payloads: [{ type: 'PRICE', values: [0.35] }] },
      { id: 5, payloads: [{ type: 'PRICE', values: [0.1] }] },
      { id: 6, payloads: [{ type: 'GHG', values: [12] }] },
    ],
  }), ctx);
  assert.equal(m.intervals[0]!.startTs, ctx.now, '0001-01-01 is now');
  assert.deepEqual(m.intervals.map((i) => [i.intervalId, i.request.kind, i.request.value]), [
    [0, 'reduce_by_kw', 200], [1, 'reduce_by_kw', 300], [2, 'full', undefined], [4, 'limit_to_kw', 50],
  ]);
  assert.deepEqual(m.ignored, ['interval 6: payload type GHG is not acted on']);
});

test('an event for another VEN\'s resources maps to nothing; bad durations are named', () => {
  assert.deepEqual(mapEvent(event({ targets: ['someone-else'], intervals: [] }), ctx).resources, []);
  const m = mapEvent(event({ intervalPeriod: { start: '2026-12-01T10:00:00Z', duration: 'one hour' }, intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [1] }] }] }), ctx);
  assert.deepEqual(m.ignored, ["interval 0: bad duration 'one hour'"]);
});
