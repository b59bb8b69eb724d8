import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { decode } from '../codec.js';
import { exampleAck, exampleBirth, exampleCollectorState, exampleControl, exampleControlReport, exampleState, exampleTelemetry } from '../examples.js';
import { agentTopic, COLLECTOR_STATE_TOPIC, type TopicKind } from '../topics.js';
import { messageName } from './protocol-documents.js';

// The published JSON Schemas, read from docs/ as a third party would, checked with a validator we did not write (Ajv).
const root = new URL('../../../../', import.meta.url).pathname;
const ajv = new Ajv({ allErrors: true, strict: false });
const validator = (kind: TopicKind) => ajv.compile(JSON.parse(readFileSync(join(root, 'docs/schemas', `${messageName(kind)}.json`), 'utf8')) as object);
const topicOf = (kind: TopicKind) => (kind === 'collector/state' ? COLLECTOR_STATE_TOPIC : agentTopic('kz-ekb-01', 'gw-1', kind));

const examples: Array<[TopicKind, Record<string, unknown>]> = [
  ['state', exampleState],
  ['birth', exampleBirth],
  ['telemetry', exampleTelemetry],
  ['telemetry/ack', exampleAck],
  ['control', exampleControl],
  ['control/report', exampleControlReport],
  ['collector/state', exampleCollectorState],
];

test('every documented example validates against its published JSON Schema', () => {
  for (const [kind, payload] of examples) {
    const validate = validator(kind);
    assert.ok(validate(payload), `${kind}: ${ajv.errorsText(validate.errors)}`);
  }
});

test('the published schemas refuse what the codec refuses for schema reasons', () => {
  const broken: Array<[TopicKind, Record<string, unknown>]> = [
    ['state', { ...exampleState, online: 'yes' }],
    ['state', { ...exampleState, site: 'Bad Site' }],
    ['telemetry', { ...exampleTelemetry, seq: 0 }],
    ['telemetry', { ...exampleTelemetry, samples: [{ ...exampleTelemetry.samples[0], counts: { hashing: 1 } }] }],
    ['telemetry/ack', { ...exampleAck, seq: -1 }],
    ['control', { ...exampleControl, mode: 'off' }],
    ['control', { ...exampleControl, revision: 1.5 }],
    ['control/report', { ...exampleControlReport, status: 'done' }],
    ['birth', { ...exampleBirth, miners: { total: 1 } }],
  ];
  for (const [kind, payload] of broken) {
    const codec = decode(topicOf(kind), JSON.stringify(payload));
    assert.equal(codec.ok ? 'accepted' : codec.error.reason, 'schema', `the codec refuses this ${kind} for its schema`);
    assert.equal(validator(kind)(payload), false, `the JSON Schema refuses it too: ${kind} ${JSON.stringify(payload).slice(0, 120)}`);
  }
});

test('a receiver may leave out defaulted fields and add unknown ones, as the codec allows', () => {
  const { level: _l, strategy: _s, ...minimal } = exampleControl;
  const payload = { ...minimal, futureField: 1 };
  assert.equal(decode(topicOf('control'), JSON.stringify(payload)).ok, true);
  assert.equal(validator('control')(payload), true, ajv.errorsText(validator('control').errors));
});
