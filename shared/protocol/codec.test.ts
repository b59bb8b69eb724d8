import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, type DecodeErrorReason } from './codec.js';
import { agentTopic, COLLECTOR_STATE_TOPIC } from './topics.js';
import { MAX_PAYLOAD_BYTES } from './version.js';
import { exampleAck, exampleBirth, exampleCollectorState, exampleControl, exampleControlReport, exampleState, exampleTelemetry } from './examples.js';

const site = 'kz-ekb-01';
const agent = 'gw-1';
const topicOf = (kind: Parameters<typeof agentTopic>[2]) => agentTopic(site, agent, kind);

/** A deep copy with one change applied, so every invalid case starts from a valid message. */
function mutate<T>(value: T, change: (copy: any) => void): unknown {
  const copy = structuredClone(value);
  change(copy);
  return copy;
}

const valid: Array<[string, string, unknown]> = [
  ['state', topicOf('state'), exampleState],
  ['state (Will: offline)', topicOf('state'), { ...exampleState, online: false }],
  ['birth', topicOf('birth'), exampleBirth],
  ['birth without optional meter fields', topicOf('birth'), mutate(exampleBirth, (b) => { b.meter = { present: false }; delete b.pollIntervalS; })],
  ['birth declaring its site\'s location', topicOf('birth'), mutate(exampleBirth, (b) => { b.location = { region: 'ekibastuz', latitude: 51.72, longitude: 75.32 }; })],
  ['telemetry', topicOf('telemetry'), exampleTelemetry],
  ['telemetry historical, no meter', topicOf('telemetry'), mutate(exampleTelemetry, (t) => { t.historical = true; t.samples[0].meterKw = null; t.samples[0].meterKwh = null; })],
  ['telemetry with only miner detail (a split part)', topicOf('telemetry'), mutate(exampleTelemetry, (t) => { t.samples = []; t.part = { index: 1, count: 2 }; })],
  ['telemetry with an unknown future field', topicOf('telemetry'), { ...exampleTelemetry, gridFrequencyHz: 50.01 }],
  ['telemetry/ack', topicOf('telemetry/ack'), exampleAck],
  ['control', topicOf('control'), { ...exampleControl, sig: 'x'.repeat(86) + '==' }],
  ['control none with null value', topicOf('control'), { ...exampleControl, mode: 'none', value: null }],
  ['control/report holding', topicOf('control/report'), exampleControlReport],
  ['control/report rejected with reason', topicOf('control/report'), { ...exampleControlReport, status: 'rejected', reason: 'bad_signature' }],
  ['collector state', COLLECTOR_STATE_TOPIC, exampleCollectorState],
];

for (const [name, topic, payload] of valid) {
  test(`decode accepts a valid ${name}`, () => {
    const result = decode(topic, Buffer.from(JSON.stringify(payload)));
    assert.equal(result.ok, true, result.ok ? '' : result.error.message);
    if (result.ok && result.message.kind !== 'collector/state') {
      assert.equal(result.message.site, site);
      assert.equal(result.message.agent, agent);
    }
  });
}

interface InvalidCase {
  name: string;
  topic: string;
  bytes: string | Buffer;
  reason: DecodeErrorReason;
  /** Dotted field path the error must name, for schema errors. */
  path?: string;
}

const json = (v: unknown) => JSON.stringify(v);
const invalid: InvalidCase[] = [
  { name: 'non-JSON bytes', topic: topicOf('telemetry'), bytes: 'not json {', reason: 'not_json' },
  { name: 'JSON that is not an object', topic: topicOf('state'), bytes: '[1,2,3]', reason: 'not_json' },
  { name: 'NaN value (not JSON)', topic: topicOf('telemetry'), bytes: json(exampleTelemetry).replace('"minerKw":9.6', '"minerKw":NaN'), reason: 'not_json' },
  { name: 'oversize payload', topic: topicOf('telemetry'), bytes: json({ ...exampleTelemetry, pad: 'x'.repeat(MAX_PAYLOAD_BYTES) }), reason: 'too_large' },
  { name: 'wrong version', topic: topicOf('state'), bytes: json({ ...exampleState, v: 2 }), reason: 'wrong_version' },
  { name: 'missing version', topic: topicOf('state'), bytes: json(mutate(exampleState, (s) => delete s.v)), reason: 'wrong_version' },
  { name: 'version as a string', topic: topicOf('state'), bytes: json({ ...exampleState, v: '1' }), reason: 'wrong_version' },
  { name: 'wildcard + in the site id', topic: 'hashwatt/v1/kz+1/gw-1/state', bytes: json(exampleState), reason: 'bad_topic' },
  { name: 'wildcard # in the agent id', topic: 'hashwatt/v1/kz-ekb-01/#/state', bytes: json(exampleState), reason: 'bad_topic' },
  { name: '$ in an id', topic: 'hashwatt/v1/$sys/gw-1/state', bytes: json(exampleState), reason: 'bad_topic' },
  { name: 'upper case id', topic: 'hashwatt/v1/KZ-EKB-01/gw-1/state', bytes: json(exampleState), reason: 'bad_topic' },
  { name: 'empty id', topic: 'hashwatt/v1//gw-1/state', bytes: json(exampleState), reason: 'bad_topic' },
  { name: 'id longer than 63 characters', topic: `hashwatt/v1/${'a'.repeat(64)}/gw-1/state`, bytes: json(exampleState), reason: 'bad_topic' },
  { name: 'unknown topic suffix', topic: 'hashwatt/v1/kz-ekb-01/gw-1/commands', bytes: json(exampleState), reason: 'bad_topic' },
  { name: 'foreign topic root', topic: 'other/v1/kz-ekb-01/gw-1/state', bytes: json(exampleState), reason: 'bad_topic' },
  { name: 'identity mismatch (agent speaks for another site)', topic: agentTopic('other-site', agent, 'telemetry'), bytes: json(exampleTelemetry), reason: 'identity_mismatch' },
  { name: 'identity mismatch (another agent)', topic: agentTopic(site, 'gw-2', 'state'), bytes: json(exampleState), reason: 'identity_mismatch' },
  { name: 'state: online is a string', topic: topicOf('state'), bytes: json({ ...exampleState, online: 'yes' }), reason: 'schema', path: 'online' },
  { name: 'state: missing session', topic: topicOf('state'), bytes: json(mutate(exampleState, (s) => delete s.session)), reason: 'schema', path: 'session' },
  { name: 'birth: negative nameplate', topic: topicOf('birth'), bytes: json({ ...exampleBirth, nameplateKw: -1 }), reason: 'schema', path: 'nameplateKw' },
  { name: 'birth: latitude out of range', topic: topicOf('birth'), bytes: json({ ...exampleBirth, location: { region: 'north', latitude: 91 } }), reason: 'schema', path: 'location.latitude' },
  { name: 'birth: unknown curtail mode', topic: topicOf('birth'), bytes: json(mutate(exampleBirth, (b) => b.curtail.modes.push('explode'))), reason: 'schema', path: 'curtail.modes.5' },
  { name: 'telemetry: negative count', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.samples[0].counts.offline = -1; })), reason: 'schema', path: 'samples.0.counts.offline' },
  { name: 'telemetry: counts do not add up', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.samples[0].counts.total = 99; })), reason: 'schema', path: 'samples.0.counts.total' },
  { name: 'telemetry: fractional count', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.samples[0].counts.hashing = 1.5; })), reason: 'schema', path: 'samples.0.counts.hashing' },
  { name: 'telemetry: kW as a string', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.samples[0].minerKw = '9.6'; })), reason: 'schema', path: 'samples.0.minerKw' },
  { name: 'telemetry: negative metered kW', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.samples[0].meterKw = -5; })), reason: 'schema', path: 'samples.0.meterKw' },
  { name: 'telemetry: seq zero', topic: topicOf('telemetry'), bytes: json({ ...exampleTelemetry, seq: 0 }), reason: 'schema', path: 'seq' },
  { name: 'telemetry: missing samples', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => delete t.samples)), reason: 'schema', path: 'samples' },
  { name: 'telemetry: nothing in it', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.samples = []; delete t.miners; })), reason: 'schema', path: 'samples' },
  { name: 'telemetry: unknown miner state', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.miners[0].state = 'melting'; })), reason: 'schema', path: 'miners.0.state' },
  { name: 'telemetry: absurd temperature', topic: topicOf('telemetry'), bytes: json(mutate(exampleTelemetry, (t) => { t.miners[0].tempC = 1e6; })), reason: 'schema', path: 'miners.0.tempC' },
  { name: 'ack: negative seq', topic: topicOf('telemetry/ack'), bytes: json({ ...exampleAck, seq: -1 }), reason: 'schema', path: 'seq' },
  { name: 'control: unknown mode', topic: topicOf('control'), bytes: json({ ...exampleControl, mode: 'turbo' }), reason: 'schema', path: 'mode' },
  { name: 'control: max_kw without value', topic: topicOf('control'), bytes: json({ ...exampleControl, value: null }), reason: 'schema', path: 'value' },
  { name: 'control: ends before it starts', topic: topicOf('control'), bytes: json({ ...exampleControl, validUntil: exampleControl.validFrom - 1 }), reason: 'schema', path: 'validUntil' },
  { name: 'control: revision zero', topic: topicOf('control'), bytes: json({ ...exampleControl, revision: 0 }), reason: 'schema', path: 'revision' },
  { name: 'control/report: rejected without reason', topic: topicOf('control/report'), bytes: json({ ...exampleControlReport, status: 'rejected' }), reason: 'schema', path: 'reason' },
  { name: 'control/report: unknown status', topic: topicOf('control/report'), bytes: json({ ...exampleControlReport, status: 'done' }), reason: 'schema', path: 'status' },
  { name: 'collector state: online missing', topic: COLLECTOR_STATE_TOPIC, bytes: json(mutate(exampleCollectorState, (c) => delete c.online)), reason: 'schema', path: 'online' },
];

for (const c of invalid) {
  test(`decode refuses ${c.name} with reason ${c.reason}`, () => {
    const result = decode(c.topic, typeof c.bytes === 'string' ? Buffer.from(c.bytes) : c.bytes);
    assert.equal(result.ok, false, 'expected a refusal');
    if (result.ok) return;
    assert.equal(result.error.reason, c.reason, result.error.message);
    assert.equal(result.error.topic, c.topic);
    assert.ok(result.error.message.length > 0);
    if (c.path) {
      const paths = (result.error.issues ?? []).map((i) => i.path);
      assert.ok(paths.includes(c.path), `expected the error to name field ${c.path}, got ${paths.join(', ')}`);
      assert.match(result.error.message, new RegExp(c.path.replace(/\./g, '\\.')));
    }
  });
}

test('encode sets QoS and retain from the protocol table and round-trips through decode', () => {
  const cases = [
    ['state', exampleState, 1, true],
    ['birth', exampleBirth, 1, true],
    ['telemetry', exampleTelemetry, 1, false],
    ['telemetry/ack', exampleAck, 1, false],
    ['control/report', exampleControlReport, 1, false],
  ] as const;
  for (const [kind, payload, qos, retain] of cases) {
    const encoded = encode(kind, site, agent, payload as never);
    assert.equal(encoded.topic, `hashwatt/v1/${site}/${agent}/${kind}`);
    assert.equal(encoded.qos, qos);
    assert.equal(encoded.retain, retain, kind);
    const decoded = decode(encoded.topic, encoded.payload);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.message.raw, JSON.parse(JSON.stringify(payload)));
  }
});

test('encode refuses an invalid payload and names the field', () => {
  assert.throws(() => encode('state', site, agent, { ...exampleState, session: -3 }), /session/);
});

test('encode refuses a payload over 64 KiB', () => {
  const miners = Array.from({ length: 2000 }, (_, i) => ({ ...exampleTelemetry.miners![0]!, id: `miner-with-a-rather-long-identifier-${i}` }));
  assert.throws(() => encode('telemetry', site, agent, { ...exampleTelemetry, miners }), /over the 65536 byte limit/);
});

test('encode refuses an invalid id before anything reaches the broker', () => {
  assert.throws(() => encode('state', 'Bad/Site', agent, exampleState), /site id "Bad\/Site"/);
});
