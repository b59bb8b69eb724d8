import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { ed25519Signer } from './ed25519-signer.js';
import { signerImplementation } from './libsodium.js';

/** RFC 8032 section 7.1, tests 1 and 2: secret key (seed), public key, message, signature. */
const RFC_8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];
const b64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

const libsodiumSkip = process.env.HASHWATT_SIGNER === 'openssl' ? 'HASHWATT_SIGNER=openssl chose node:crypto'
  : process.env.CI !== 'true' && signerImplementation !== 'libsodium' ? 'sodium-native not installed (npm install --omit=optional)' : false;

test('npm ci installs libsodium for the collector (the fallback to node:crypto is for platforms without its addon)', { skip: libsodiumSkip }, () => {
  assert.equal(signerImplementation, 'libsodium');
});

test('signatures are those of RFC 8032 section 7.1', () => {
  for (const v of RFC_8032) {
    const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(v.seed), x: b64url(v.publicKey) }, format: 'jwk' });
    assert.equal(ed25519Signer(privateKey)(Buffer.from(v.message, 'hex')).toString('hex'), v.signature, `message "${v.message}"`);
  }
});

test('a signature is the same bytes node:crypto (OpenSSL) makes, and node:crypto verifies it', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = ed25519Signer(privateKey);
  for (const text of ['', '{"agent":"a1","revision":7}', 'ü€𝄞'.repeat(300)]) {
    const message = Buffer.from(text, 'utf8');
    const signature = signer(message);
    assert.deepEqual(signature, sign(null, message, privateKey));
    assert.equal(verify(null, message, publicKey, signature), true);
  }
});

test('one signer per key: a second key signs with its own secret', () => {
  const a = generateKeyPairSync('ed25519');
  const b = generateKeyPairSync('ed25519');
  assert.equal(ed25519Signer(a.privateKey), ed25519Signer(a.privateKey));
  const message = Buffer.from('same message');
  assert.equal(verify(null, message, b.publicKey, ed25519Signer(b.privateKey)(message)), true);
  assert.equal(verify(null, message, createPublicKey(a.privateKey), ed25519Signer(b.privateKey)(message)), false);
});

test('a key that is not Ed25519 is refused, naming its type', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.throws(() => ed25519Signer(privateKey), /Ed25519 private key is needed, not ec/);
});
