import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpec, specMissing } from '../../test/helpers/openadr-spec.js';
import { buildReport } from './report-builder.js';

const skip = specMissing();
if (skip) console.log(`# skipped: ${skip}`);

test('the checker built from openadr3.yaml refuses what the document refuses (so an empty violation list means something)', { skip }, () => {
  const spec = loadSpec();
  assert.deepEqual(spec.request('POST', '/reports', { eventID: 'e1', clientName: 'ven' }), ["request POST /reports must have required property 'resources'"]);
  assert.ok(spec.request('POST', '/reports', { eventID: 'bad id!', clientName: 'ven', resources: [] }).some((e) => e.includes('/eventID must match pattern')));
  assert.deepEqual(spec.response('GET', '/events?programID=p', 200, [{ id: 'e', programID: 'p', createdDateTime: '2026-12-01T00:00:00Z', modificationDateTime: '2026-12-01T00:00:00Z', objectType: 'EVENT', intervals: [] }]), []);
  assert.ok(spec.response('GET', '/events', 200, [{ programID: 'p' }]).length > 0, 'an event without its metadata is refused');
  assert.ok(spec.response('GET', '/events', 418, []).length > 0);
  assert.deepEqual(spec.request('POST', '/auth/token', { grant_type: 'client_credentials', client_id: 'c', client_secret: 's' }), []);
});

test('the VEN\'s reports conform to reportRequest', { skip }, () => {
  const spec = loadSpec();
  const body = buildReport('ven-1', { vtnEventId: 'ev-1', intervalId: 0, resource: 'r-a', startTs: Date.parse('2026-12-01T10:00:00Z'), endTs: Date.parse('2026-12-01T11:00:00Z'), averageKw: 420.5, curtailed: true, types: ['USAGE', 'OPERATING_STATE'] });
  assert.deepEqual(spec.request('POST', '/reports', body), []);
  const interval = (body.resources as any[])[0].intervals[0];
  assert.deepEqual(interval, { id: 0, intervalPeriod: { start: '2026-12-01T10:00:00.000Z', duration: 'PT3600S' }, payloads: [{ type: 'USAGE', values: [420.5] }, { type: 'OPERATING_STATE', values: ['RUNNING_CURTAILED'] }] });
  const none = buildReport('ven-1', { vtnEventId: 'ev-1', intervalId: 1, resource: 'r-a', startTs: 0, endTs: 60_000, averageKw: null, curtailed: false, types: ['USAGE', 'OPERATING_STATE'] });
  assert.deepEqual((none.resources as any[])[0].intervals[0].payloads, [{ type: 'OPERATING_STATE', values: ['ERROR'] }], 'no samples: no invented usage');
});

test('error answers conform to problem (an OpenAPI 3.0 exclusive bound)', { skip }, () => {
  const spec = loadSpec();
  assert.deepEqual(spec.response('GET', '/events', 500, { title: 'Internal Server Error', status: 500, detail: 'x' }), []);
  assert.ok(spec.response('GET', '/events', 500, { status: 600 }).length > 0, 'status 600 is out of range');
});

test('query strings are checked against the operation\'s parameters', { skip }, () => {
  const spec = loadSpec();
  assert.deepEqual(spec.query('GET', '/events?programID=p-1&skip=0&limit=50'), []);
  assert.deepEqual(spec.query('GET', '/subscriptions?clientName=ven-1'), []);
  assert.ok(spec.query('GET', '/events?limit=500').some((e) => e.includes('limit must be <= 50')));
  assert.deepEqual(spec.query('GET', '/events?colour=red'), ['query GET /events: parameter colour is not declared']);
});
