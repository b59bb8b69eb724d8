import { createHash, randomBytes } from 'node:crypto';

/** sha256 hex: how tokens and session ids are stored (the secret itself never is). */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new API token: 32 random bytes, prefixed so a leaked one is recognisable in logs and scanners. */
export function newApiToken(): string {
  return `hwt_${randomBytes(32).toString('base64url')}`;
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}
