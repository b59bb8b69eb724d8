import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { agentTopic, decode } from '../../shared/protocol/index.js';
import { signPayload } from '../../shared/signing/control-signing.js';
import { evaluateControl } from './control-intake.js';

const trusted = generateKeyPairSync('ed25519');
const old = generateKeyPairSync('ed25519');
const NOW = 1_700_000_000_000;
const topic = agentTopic('s1', 'a1', 'control');
const base = { v: 1, site: 's1', agent: 'a1', revision: 5, issuedAt: NOW, validFrom: NOW, validUntil: NOW + 60_000, mode: 'sleep_count', value: 3, level: 'sleep', strategy: 'least_efficient_first', rampSeconds: 0, priority: 'normal', reason: 't', eventIds: [] };

function run(payload: unknown, ctx: Partial<Parameters<typeof evaluateControl>[2]> = {}, t = topic) {
  const bytes = Buffer.from(JSON.stringify(payload));
  return evaluateControl(decode(t, bytes), bytes, { keys: [{ key: trusted.publicKey }], currentRevision: null, now: NOW, ...ctx });
}
const reason = (i: ReturnType<typeof run>) => (i.verdict === 'reject' ? i.reason : i.verdict);

test('accepts a signed, current, newer control', () => {
  assert.equal(run(signPayload(base, trusted.privateKey, trusted.publicKey)).verdict, 'accept');
});

test('refuses with the reason a report names', () => {
  assert.equal(reason(run(base)), 'unsigned');
  assert.equal(reason(run(signPayload(base, old.privateKey, old.publicKey))), 'bad_signature');
  assert.equal(reason(run({ ...signPayload(base, trusted.privateKey, trusted.publicKey), value: 99 })), 'bad_signature');
  assert.equal(reason(run(signPayload(base, trusted.privateKey, trusted.publicKey), { currentRevision: 7 })), 'stale');
  assert.equal(reason(run(signPayload(base, trusted.privateKey, trusted.publicKey), { currentRevision: 5 })), 'same');
  assert.equal(reason(run(signPayload({ ...base, validUntil: NOW - 1, validFrom: NOW - 10 }, trusted.privateKey, trusted.publicKey))), 'expired');
  assert.equal(reason(run({ ...base, mode: 'sideways' })), 'invalid');
  assert.equal(reason(run(signPayload(base, trusted.privateKey, trusted.publicKey), {}, agentTopic('s1', 'a2', 'control'))), 'wrong_target');
  const badJson = Buffer.from('{nope');
  assert.equal(reason(evaluateControl(decode(topic, badJson), badJson, { keys: [], currentRevision: null, now: NOW })), 'invalid');
});

test('an old key stops being trusted after its notAfter', () => {
  const signedOld = signPayload(base, old.privateKey, old.publicKey);
  const keys = [{ key: trusted.publicKey }, { key: old.publicKey, notAfter: NOW + 1000 }];
  assert.equal(run(signedOld, { keys }).verdict, 'accept');
  assert.equal(reason(run(signedOld, { keys, now: NOW + 2000 })), 'bad_signature');
});
