import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentTopic, parseTopic, shareGroupProblem, topicFilters, COLLECTOR_STATE_TOPIC } from './topics.js';
import { idProblem } from './ids.js';

test('topic builders follow hashwatt/v1/{site}/{agent}/{kind}', () => {
  assert.equal(agentTopic('site-1', 'gw-1', 'telemetry/ack'), 'hashwatt/v1/site-1/gw-1/telemetry/ack');
  assert.equal(topicFilters.allAgents('telemetry'), 'hashwatt/v1/+/+/telemetry');
  assert.equal(COLLECTOR_STATE_TOPIC, 'hashwatt/v1/_collector/state');
});

test('a shared subscription wraps a filter in $share/{group}/ and refuses a group that is not one topic level', () => {
  assert.equal(topicFilters.shared('collectors', topicFilters.allAgents('telemetry')), '$share/collectors/hashwatt/v1/+/+/telemetry');
  assert.equal(shareGroupProblem('ingest_A.1-x'), null);
  for (const [group, reason] of [['', /empty/], ['a/b', /one MQTT topic level/], ['a+', /"\+"/], ['#', /"#"/], ['a b', /whitespace/], ['a\u0000', /control/], ['x'.repeat(65), /64/]] as const) {
    assert.match(shareGroupProblem(group) ?? 'accepted', reason, JSON.stringify(group));
  }
  assert.throws(() => topicFilters.shared('a/b', 'x'), /share group "a\/b" must not contain/);
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
