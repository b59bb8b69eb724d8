import { createRequire } from 'node:module';

/** The part of sodium-native (libsodium) used here. */
export interface Sodium {
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
  crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
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

/** libsodium for Ed25519, or undefined for node:crypto. HASHWATT_SIGNER=openssl keeps node:crypto (a comparison, or a platform whose addon misbehaves). */
export const sodium: Sodium | undefined = process.env.HASHWATT_SIGNER === 'openssl' ? undefined : loadSodium();

/** Which implementation signs and verifies Ed25519 in this process (the collector's start log says). */
export const signerImplementation: 'libsodium' | 'openssl' = sodium ? 'libsodium' : 'openssl';
