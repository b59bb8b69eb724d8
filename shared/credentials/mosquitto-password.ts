import { pbkdf2Sync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Mosquitto 2.x password-file hashes, format `$7$<iterations>$<salt b64>$<hash b64>`:
 * PBKDF2-HMAC-SHA512 with a 12-byte salt and a 64-byte key, the format
 * `mosquitto_passwd` writes by default (src: mosquitto password_mosq.c,
 * pw_sha512_pbkdf2). 101 iterations is mosquitto_passwd's own default; our
 * passwords are 190 random bits, so stretching would buy nothing and would cost
 * broker CPU on every connect.
 */
export const PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const KEY_BYTES = 64;

export function hashMosquittoPassword(password: string, { iterations = PBKDF2_ITERATIONS, salt = randomBytes(SALT_BYTES) } = {}): string {
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches a `$7$` hash (used by tests and `credentials` self-checks). */
export function verifyMosquittoPassword(hash: string, password: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) throw new AppError('PARSE', `not a mosquitto $7$ password hash: "${hash.slice(0, 12)}…"`);
  const expected = Buffer.from(m[3]!, 'base64');
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(m[2]!, 'base64'), Number(m[1]), expected.length, 'sha512');
  return timingSafeEqual(key, expected);
}

/** One line of a mosquitto `password_file`. The username may not contain ':' (the field separator). */
export function passwordFileLine(username: string, password: string): string {
  if (username.includes(':') || /\s/.test(username)) throw new AppError('USAGE', `username "${username}" may not contain ':' or white space`);
  return `${username}:${hashMosquittoPassword(password)}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * 32 random alphanumerics (≈190 bits). Letters and digits only, so the value
 * survives env files, YAML and shell quoting unchanged; it starts with a letter
 * so a YAML reader can never take it for a number.
 */
export function generatePassword(length = 32): string {
  let out = ALPHABET[randomInt(52)]!;
  while (out.length < length) out += ALPHABET[randomInt(ALPHABET.length)]!;
  return out;
}
