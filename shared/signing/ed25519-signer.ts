import { sign, type KeyObject } from 'node:crypto';
import { sodium } from './libsodium.js';

export type Ed25519Signer = (message: Buffer) => Buffer;

const signers = new WeakMap<KeyObject, Ed25519Signer>();

/**
 * An Ed25519 signing function for one private key. Through libsodium a
 * signature costs about half of node:crypto's on the 2-core reference machine
 * (21 against 45 µs: OpenSSL 3 sets up a new EVP context per call), the largest
 * single part of the fan-out's CPU (docs/decisions.md, "The collector signs through libsodium"). The
 * secret key is copied once into sodium_malloc'd memory (guard pages, kept out
 * of core dumps), not per signature.
 */
export function ed25519Signer(privateKey: KeyObject): Ed25519Signer {
  let signer = signers.get(privateKey);
  if (signer) return signer;
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError(`an Ed25519 private key is needed, not ${privateKey.asymmetricKeyType ?? privateKey.type}`);
  if (sodium) {
    const lib = sodium;
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    const secretKey = lib.sodium_malloc(64);
    lib.crypto_sign_seed_keypair(Buffer.alloc(32), secretKey, seed);
    seed.fill(0);
    signer = (message) => {
      const signature = Buffer.allocUnsafe(64);
      lib.crypto_sign_detached(signature, message, secretKey);
      return signature;
    };
  } else {
    signer = (message) => sign(null, message, privateKey);
  }
  signers.set(privateKey, signer);
  return signer;
}
