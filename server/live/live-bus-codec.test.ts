import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../shared/errors.js';
import type { LiveChange } from './live-bus.js';
import { NOTIFY_PAYLOAD_LIMIT_BYTES, decodeMessage, splitIntoPayloads } from './live-bus-codec.js';

const counts = { hashing: 90, idle: 2, sleeping: 5, offline: 1, error: 2, total: 100 };

function sample(i: number, agent = `gw-${i}`): LiveChange {
  return { kind: 'sample', siteId: 1 + (i % 50), agentId: 1000 + i, agent, at: 1_764_000_000_000 + i, sample: { ts: 1_764_000_000_000 + i, meterKw: 1234.5 + i, meterKwh: null, minerKw: 1200.25, hashrateThs: 31_000.5, counts, revision: i % 3 === 0 ? null : 7 } };
}

const every: LiveChange[] = [
  sample(1),
  { kind: 'seen', siteId: 2, agentId: 20, agent: 'gw-b', at: 1000 },
  { kind: 'state', siteId: 2, agentId: 20, agent: 'gw-b', at: 1001, online: false },
  { kind: 'state', siteId: 2, agentId: 21, agent: 'gw-c', at: 1002, online: true },
  { kind: 'site', siteId: 3 },
  { kind: 'event', eventId: '5f2e4c1a-0000-4000-8000-000000000001' },
  { kind: 'stream', type: 'audit', data: { action: 'site.update', site: 's3', after: { name: 'Nord' } } },
];

test('every kind of change survives encoding and decoding unchanged, with the sender and sequence', () => {
  const { payloads, tooLarge } = splitIntoPayloads(every, { from: 'host:1:ab', firstSeq: 41 });
  assert.deepEqual(tooLarge, []);
  assert.equal(payloads.length, 1);
  assert.deepEqual(decodeMessage(payloads[0]!), { from: 'host:1:ab', seq: 41, changes: every });
});

test('a large commit is split into messages under PostgreSQL\'s 8000-byte limit, in order, with consecutive sequence numbers', () => {
  // Agent names with multi-byte characters: the limit is in bytes, not characters.
  const changes = Array.from({ length: 2000 }, (_, i) => sample(i, `grüne-wärme-€-${i}`));
  const { payloads, tooLarge } = splitIntoPayloads(changes, { from: 'a', firstSeq: 7 });
  assert.deepEqual(tooLarge, []);
  assert.ok(payloads.length > 20, `2000 samples need many messages, got ${payloads.length}`);
  for (const p of payloads) assert.ok(Buffer.byteLength(p) < NOTIFY_PAYLOAD_LIMIT_BYTES, `payload of ${Buffer.byteLength(p)} bytes`);
  // Packed full: each message but the last would have overflowed with one more change.
  assert.ok(payloads.slice(0, -1).every((p) => Buffer.byteLength(p) > NOTIFY_PAYLOAD_LIMIT_BYTES - 300));
  const decoded = payloads.map(decodeMessage);
  assert.deepEqual(decoded.map((m) => m.seq), payloads.map((_, i) => 7 + i));
  assert.deepEqual(decoded.flatMap((m) => m.changes), changes);
});

test('a change too large for any message is reported and left out; the others still go', () => {
  const huge: LiveChange = { kind: 'stream', type: 'audit', data: { note: 'x'.repeat(9000) } };
  const { payloads, tooLarge } = splitIntoPayloads([sample(1), huge, sample(2)], { from: 'a', firstSeq: 0, limitBytes: 1000 });
  assert.deepEqual(tooLarge, [huge]);
  assert.deepEqual(payloads.flatMap((p) => decodeMessage(p).changes), [sample(1), sample(2)]);
});

test('nothing to send is no message', () => {
  assert.deepEqual(splitIntoPayloads([], { from: 'a', firstSeq: 0 }), { payloads: [], tooLarge: [] });
});

test('a malformed message is a PARSE error that says what is wrong and where', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"v":1', /not JSON/],
    ['{"v":2,"i":"a","q":0,"c":[]}', /v: /],
    ['{"v":1,"i":"peer-x","q":0,"c":[["S",1],["s",1,2]]}', /from peer-x, change 1/],
    ['{"v":1,"i":"peer-x","q":0,"c":[["o",1,2,"gw",5,"yes"]]}', /change 0/],
  ];
  for (const [payload, message] of cases) {
    assert.throws(() => decodeMessage(payload), (err) => isAppError(err, 'PARSE') && message.test(err.message), payload);
  }
});
