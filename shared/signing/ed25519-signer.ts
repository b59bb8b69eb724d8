import { createRequire } from 'node:module';
import { sign, type KeyObject } from 'node:crypto';

/** The part of sodium-native (libsodium) used here. */
interface Sodium {
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
  crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
  sodium_malloc(size: number): Buffer;
}

/**
 * libsodium when its prebuilt addon loads on this platform (an optional
 * dependency: `npm install --omit=optional` leaves it out), else undefined.
 * Ed25519 signatures are deterministic (RFC 8032), so libsodium's and
 * OpenSSL's are the same bytes: ed25519-signer.test.ts holds them equal.
 */
function loadSodium(): Sodium | undefined {
  try {
    return createRequire(import.meta.url)('sodium-native') as Sodium;
  } catch {
    return undefined;
  }
}
// HASHWATT_SIGNER=openssl keeps node:crypto (a comparison, or a platform whose addon misbehaves).
const sodium = process.env.HASHWATT_SIGNER === 'openssl' ? undefined : loadSodium();

/** Which implementation signs in this process (the collector's start log says). */
export const signerImplementation: 'libsodium' | 'openssl' = sodium ? 'libsodium' : 'openssl';

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
