import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentTopic, parseTopic, topicFilters, COLLECTOR_STATE_TOPIC } from './topics.js';
import { idProblem } from './ids.js';

test('topic builders follow hashwatt/v1/{site}/{agent}/{kind}', () => {
  assert.equal(agentTopic('site-1', 'gw-1', 'telemetry/ack'), 'hashwatt/v1/site-1/gw-1/telemetry/ack');
  assert.equal(topicFilters.allAgents('telemetry'), 'hashwatt/v1/+/+/telemetry');
  assert.equal(COLLECTOR_STATE_TOPIC, 'hashwatt/v1/_collector/state');
});

test('parseTopic round-trips every agent topic kind', () => {
  for (const kind of ['state', 'birth', 'telemetry', 'telemetry/ack', 'control', 'control/report'] as const) {
    const parsed = parseTopic(agentTopic('a', 'b-2', kind));
    assert.deepEqual(parsed, { ok: true, topic: { kind, site: 'a', agent: 'b-2' } });
  }
  assert.deepEqual(parseTopic(COLLECTOR_STATE_TOPIC), { ok: true, topic: { kind: 'collector/state' } });
});

const badIds: Array<[string, RegExp]> = [
  ['', /empty/],
  ['a'.repeat(64), /64 characters/],
  ['Site', /upper case/],
  ['si+te', /wildcard/],
  ['si#te', /wildcard/],
  ['si/te', /wildcard, "\/" or "\$"/],
  ['$SYS', /wildcard|upper/],
  ['-site', /must not start with "-"/],
  ['site_1', /a-z, 0-9/],
];

for (const [id, expected] of badIds) {
  test(`id ${JSON.stringify(id)} is refused with a reason`, () => {
    assert.match(idProblem(id) ?? 'accepted', expected);
    assert.throws(() => agentTopic(id, 'gw', 'state'), /site id/);
  });
}

test('the longest valid id (63 characters) is accepted', () => {
  assert.equal(idProblem('a'.repeat(63)), undefined);
});
