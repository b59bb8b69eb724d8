import { verify, type KeyObject } from 'node:crypto';
import { sodium } from './libsodium.js';

/** Whether `signature` (64 bytes) is the key's Ed25519 signature of `message`. */
export type Ed25519Verifier = (message: Buffer, signature: Buffer) => boolean;

const verifiers = new WeakMap<KeyObject, Ed25519Verifier>();

/**
 * An Ed25519 verifying function for one public key. Through libsodium a
 * verification costs about half of node:crypto's on the 2-core reference
 * machine (~55 against ~115 µs): little for one agent and its one control,
 * but the fan-out bench's thousand simulated agents share that machine with
 * the collector, and a gateway's ARM core is slower still. libsodium is the
 * stricter of the two: besides a non-canonical S, which both refuse, it also
 * refuses keys and R points of small order (ed25519-verifier.test.ts).
 */
export function ed25519Verifier(publicKey: KeyObject): Ed25519Verifier {
  let verifier = verifiers.get(publicKey);
  if (verifier) return verifier;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError(`an Ed25519 public key is needed, not ${publicKey.asymmetricKeyType ?? publicKey.type}`);
  if (sodium) {
    const lib = sodium;
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    verifier = (message, signature) => signature.length === 64 && lib.crypto_sign_verify_detached(signature, message, raw);
  } else {
    verifier = (message, signature) => verify(null, message, publicKey, signature);
  }
  verifiers.set(publicKey, verifier);
  return verifier;
}
