import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { ed25519Signer } from './ed25519-signer.js';
import { ed25519Verifier } from './ed25519-verifier.js';

/** The bytes a signature covers: every field of the payload except `sig`. */
export function signedBytes(payload: Record<string, unknown>): Buffer {
  const { sig: _sig, ...body } = payload;
  return Buffer.from(canonicalJson(body), 'utf8');
}

const keyIds = new WeakMap<KeyObject, string>();

/** First 16 hex digits of SHA-256 over the public key's DER form: names a key during rotation. */
export function keyIdOf(publicKey: KeyObject): string {
  // Memoized per key object: exporting the key costs more than an Ed25519 verify.
  let id = keyIds.get(publicKey);
  if (id === undefined) keyIds.set(publicKey, (id = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)));
  return id;
}

/** Returns a copy of the payload with `keyId` and `sig` (Ed25519, base64) set. */
export function signPayload<T extends Record<string, unknown>>(payload: T, privateKey: KeyObject, publicKey: KeyObject): T & { keyId: string; sig: string } {
  const withKey = { ...payload, keyId: keyIdOf(publicKey) } as Record<string, unknown>;
  delete withKey.sig;
  const sig = ed25519Signer(privateKey)(signedBytes(withKey)).toString('base64');
  return { ...(withKey as T), keyId: withKey.keyId as string, sig };
}

export type VerifyResult = { ok: true; keyId: string } | { ok: false; reason: 'unsigned' | 'bad_signature'; message: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Verifies against every trusted public key (more than one during a signing-key
 * rotation). Works on the payload exactly as received, before schema parsing,
 * so fields this build does not know are still covered by the signature.
 */
export function verifyPayload(payload: Record<string, unknown>, trustedKeys: readonly KeyObject[]): VerifyResult {
  const sig = payload.sig;
  if (sig === undefined || sig === null || sig === '') return { ok: false, reason: 'unsigned', message: 'control has no signature' };
  if (typeof sig !== 'string' || !BASE64.test(sig)) return { ok: false, reason: 'bad_signature', message: 'signature is not base64' };
  const signature = Buffer.from(sig, 'base64');
  if (signature.length !== 64) return { ok: false, reason: 'bad_signature', message: `signature is ${signature.length} bytes, Ed25519 has 64` };
  let bytes: Buffer;
  try {
    bytes = signedBytes(payload);
  } catch (err) {
    return { ok: false, reason: 'bad_signature', message: `payload cannot be canonicalized: ${(err as Error).message}` };
  }
  for (const key of trustedKeys) {
    if (ed25519Verifier(key)(bytes, signature)) return { ok: true, keyId: keyIdOf(key) };
  }
  return { ok: false, reason: 'bad_signature', message: `signature does not verify with any of the ${trustedKeys.length} trusted keys` };
}
