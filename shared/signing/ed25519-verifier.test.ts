import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { ed25519Verifier } from './ed25519-verifier.js';
import { signerImplementation } from './libsodium.js';

/** RFC 8032 section 7.1, test 2: public key, message, signature. */
const RFC_8032 = {
  publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: '72',
  signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
};
/** The order of Ed25519's base point (RFC 8032 section 5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const publicKeyOf = (raw: Buffer) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
const littleEndian = (b: Buffer) => BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
const toLittleEndian = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex').reverse();

test('the RFC 8032 section 7.1 signature verifies; another message, another key or a flipped bit do not', () => {
  const verifier = ed25519Verifier(publicKeyOf(Buffer.from(RFC_8032.publicKey, 'hex')));
  const signature = Buffer.from(RFC_8032.signature, 'hex');
  assert.equal(verifier(Buffer.from(RFC_8032.message, 'hex'), signature), true);
  assert.equal(verifier(Buffer.from('73', 'hex'), signature), false);
  const flipped = Buffer.from(signature);
  flipped[10]! ^= 1;
  assert.equal(verifier(Buffer.from(RFC_8032.message, 'hex'), flipped), false);
  assert.equal(ed25519Verifier(generateKeyPairSync('ed25519').publicKey)(Buffer.from(RFC_8032.message, 'hex'), signature), false);
});

test('a node:crypto (OpenSSL) signature verifies, for messages of every size the protocol sends', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const verifier = ed25519Verifier(publicKey);
  assert.equal(ed25519Verifier(publicKey), verifier, 'one verifier per key');
  for (const text of ['', '{"agent":"a1","revision":7}', 'ü€𝄞'.repeat(1000)]) {
    const message = Buffer.from(text, 'utf8');
    assert.equal(verifier(message, sign(null, message, privateKey)), true, `${message.length} bytes`);
  }
});

test('a malleated signature (S + L, the same point equation) is refused', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = Buffer.from('{"revision":1}');
  const signature = sign(null, message, privateKey);
  const malleated = Buffer.concat([signature.subarray(0, 32), toLittleEndian(littleEndian(signature.subarray(32)) + L)]);
  assert.equal(ed25519Verifier(publicKey)(message, malleated), false);
});

test('a signature of the wrong length is refused, not thrown on', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = Buffer.from('x');
  assert.equal(ed25519Verifier(publicKey)(message, sign(null, message, privateKey).subarray(0, 63)), false);
});

test('libsodium refuses a public key of small order (the identity), which makes any message verify under a zero signature', { skip: signerImplementation === 'libsodium' ? false : 'node:crypto verifies here (HASHWATT_SIGNER=openssl or no sodium-native)' }, () => {
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  const forged = Buffer.concat([identity, Buffer.alloc(32)]); // R = identity, S = 0
  assert.equal(ed25519Verifier(publicKeyOf(identity))(Buffer.from('{"mode":"full"}'), forged), false);
});

test('a key that is not Ed25519 is refused, naming its type', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.throws(() => ed25519Verifier(publicKey), /Ed25519 public key is needed, not ec/);
});
