import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import canonicalize from 'canonicalize';
import { canonicalJson } from './canonical-json.js';
import { signedBytes, signPayload, verifyPayload } from './control-signing.js';
import { exampleControl } from '../protocol/examples.js';

// Test vectors written out from the text of RFC 8785 (JSON Canonicalization Scheme).

test('RFC 8785 §3.2.2: the example object canonicalizes to the published form', () => {
  // The input as the RFC prints it, whitespace, exponent letters and escapes included.
  const input = String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`;
  const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
  assert.equal(canonicalJson(JSON.parse(input)), expected);
});

test('RFC 8785 §3.2.4: non-ASCII is written as UTF-8 bytes (€ as e2 82 ac), not escaped', () => {
  const bytes = Buffer.from(canonicalJson({ numbers: [1e30], string: '\u20ac', literals: [null] }), 'utf8');
  // € is e2 82 ac in UTF-8 (the RFC's hex dump of the string value).
  assert.ok(bytes.includes(Buffer.from([0x22, 0xe2, 0x82, 0xac, 0x22])));
});

test('RFC 8785 §3.2.3: keys sort by UTF-16 code units, not by code points', () => {
  const input = String.raw`{
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  }`;
  // Read the order from the text: parsing it back would put the integer-like key "1" first (JS property order).
  const order = [...canonicalJson(JSON.parse(input)).matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
  // The emoji (U+1F600, surrogates D83D DE00) sorts before U+FB33: by code point it would come last.
  assert.deepEqual(order, [
    'Carriage Return',
    'One',
    'Control',
    'Latin Small Letter O With Diaeresis',
    'Euro Sign',
    'Emoji: Grinning Face',
    'Hebrew Letter Dalet With Dagesh',
  ]);
});

/** RFC 8785 Appendix B: IEEE 754 double (hex) -> canonical text. */
const APPENDIX_B: Array<[string, string]> = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'], // minus zero
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'], // round to even
];

const double = (hex: string) => Buffer.from(hex, 'hex').readDoubleBE(0);

test('RFC 8785 Appendix B: every sample number serializes as published', () => {
  for (const [hex, text] of APPENDIX_B) assert.equal(canonicalJson(double(hex)), text, `IEEE 754 ${hex}`);
});

test('RFC 8785 Appendix B: NaN and Infinity are refused', () => {
  assert.throws(() => canonicalJson({ a: double('7fffffffffffffff') }), /NaN or Infinity/);
  assert.throws(() => canonicalJson({ a: double('7ff0000000000000') }), /NaN or Infinity/);
});

test('a lone surrogate, in a value or a key, is refused rather than escaped (I-JSON)', () => {
  assert.throws(() => canonicalJson({ reason: JSON.parse('"\\ud800"') }), /lone UTF-16 surrogate/);
  assert.throws(() => canonicalJson(JSON.parse('{"\\udc00":1}')), /lone UTF-16 surrogate/);
  assert.equal(canonicalJson({ r: '\ud83d\ude00' }), '{"r":"😀"}');
});

test('a control whose signed text holds a lone surrogate is refused as bad_signature, not verified some other way', () => {
  const keys = generateKeyPairSync('ed25519');
  const raw = JSON.parse(JSON.stringify(signPayload({ ...exampleControl }, keys.privateKey, keys.publicKey)).replace('"reason":"', '"reason":"\\ud800'));
  const result = verifyPayload(raw, [keys.publicKey]);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.reason, 'bad_signature');
});

// Differential: the `canonicalize` npm package (RFC 8785 reference implementation for JavaScript,
// by one of the RFC's authors) on generated JSON, full Unicode strings and keys, any doubles.
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 6 }),
  ),
})).value;

test('agrees with the canonicalize package on 2,000 generated JSON values (seeded)', () => {
  fc.assert(
    fc.property(jsonValue, (value) => {
      assert.equal(canonicalJson(value), canonicalize(value));
    }),
    { numRuns: 2000, seed: 8785 },
  );
});

test('agrees with the canonicalize package on the bytes signed for generated controls', () => {
  const control = fc.record({
    revision: fc.integer({ min: 1, max: 2 ** 31 }),
    value: fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: null }),
    rampSeconds: fc.double({ min: 0, max: 86_400, noNaN: true }),
    reason: fc.string({ unit: 'binary', maxLength: 60 }),
    eventIds: fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { maxLength: 5 }),
    extra: fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string())),
  });
  fc.assert(
    fc.property(control, ({ extra, ...fields }) => {
      const payload: Record<string, unknown> = { ...extra, ...exampleControl, ...fields, sig: 'x' };
      const { sig: _sig, ...body } = payload;
      assert.equal(signedBytes(payload).toString('utf8'), canonicalize(body));
    }),
    { numRuns: 500, seed: 22 },
  );
});
