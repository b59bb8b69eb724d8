import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { signPayload, verifyPayload, keyIdOf } from './control-signing.js';
import { canonicalJson } from './canonical-json.js';
import { exampleControl } from '../protocol/examples.js';

const collector = generateKeyPairSync('ed25519');
const intruder = generateKeyPairSync('ed25519');
const signed = signPayload({ ...exampleControl }, collector.privateKey, collector.publicKey);

test('canonical JSON sorts keys at every level and drops whitespace', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.throws(() => canonicalJson({ a: Number.NaN }), /NaN/);
});

test('a signed control verifies with the collector key and names it', () => {
  const result = verifyPayload(signed, [collector.publicKey]);
  assert.deepEqual(result, { ok: true, keyId: keyIdOf(collector.publicKey) });
  assert.equal(signed.keyId, keyIdOf(collector.publicKey));
});

test('verification does not depend on key order as received', () => {
  const reordered = Object.fromEntries(Object.entries(signed).reverse());
  assert.equal(verifyPayload(reordered, [collector.publicKey]).ok, true);
});

const changes: Array<[string, (c: Record<string, unknown>) => void]> = [
  ['revision', (c) => { c.revision = (c.revision as number) + 1; }],
  ['value', (c) => { c.value = 1; }],
  ['mode', (c) => { c.mode = 'none'; }],
  ['validUntil', (c) => { c.validUntil = (c.validUntil as number) + 1; }],
  ['site', (c) => { c.site = 'another-site'; }],
  ['agent', (c) => { c.agent = 'gw-2'; }],
  ['eventIds', (c) => { c.eventIds = []; }],
  ['keyId', (c) => { c.keyId = '0000000000000000'; }],
  ['an added field', (c) => { c.extra = true; }],
  ['a removed field', (c) => { delete c.reason; }],
];

for (const [what, change] of changes) {
  test(`verification fails when ${what} changes`, () => {
    const tampered = structuredClone(signed) as Record<string, unknown>;
    change(tampered);
    const result = verifyPayload(tampered, [collector.publicKey]);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'bad_signature');
  });
}

test('a control signed by another key is refused as bad_signature', () => {
  const forged = signPayload({ ...exampleControl }, intruder.privateKey, intruder.publicKey);
  const result = verifyPayload(forged, [collector.publicKey]);
  assert.equal(!result.ok && result.reason, 'bad_signature');
});

test('a missing signature is refused as unsigned', () => {
  const { sig: _, ...unsigned } = signed;
  const result = verifyPayload(unsigned, [collector.publicKey]);
  assert.equal(!result.ok && result.reason, 'unsigned');
});

for (const [what, sig] of [['not base64', '!!!not-base64!!!'], ['too short', 'AAAA'], ['a number', 42]] as const) {
  test(`a malformed signature (${what}) is refused as bad_signature`, () => {
    const result = verifyPayload({ ...signed, sig }, [collector.publicKey]);
    assert.equal(!result.ok && result.reason, 'bad_signature');
  });
}

test('during a key rotation either trusted key verifies', () => {
  const next = generateKeyPairSync('ed25519');
  const byNew = signPayload({ ...exampleControl }, next.privateKey, next.publicKey);
  assert.equal(verifyPayload(signed, [collector.publicKey, next.publicKey]).ok, true);
  assert.equal(verifyPayload(byNew, [collector.publicKey, next.publicKey]).ok, true);
  assert.equal(verifyPayload(signed, [next.publicKey]).ok, false);
});
