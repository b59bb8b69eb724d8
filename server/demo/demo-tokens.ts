import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROLES, type Role } from '../config/collector-config.js';

export type DemoTokens = Record<Role, string>;

const FILE = 'demo-tokens.json';

function isTokens(x: unknown): x is DemoTokens {
  return typeof x === 'object' && x !== null && ROLES.every((r) => typeof (x as Record<string, unknown>)[r] === 'string' && ((x as Record<string, string>)[r] ?? '').length >= 16);
}

/**
 * One random token per role, kept in the demo's data folder so a restarted
 * demo accepts the tokens a browser tab already holds. Demo only: a real
 * collector config lists sha256 hashes of tokens it never stores.
 */
export async function loadOrCreateDemoTokens(dataDir: string): Promise<DemoTokens> {
  const path = join(dataDir, FILE);
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (isTokens(parsed)) return parsed;
  } catch {
    /* absent or unreadable: make new ones */
  }
  const tokens = Object.fromEntries(ROLES.map((r) => [r, `demo-${r}-${randomBytes(12).toString('hex')}`])) as DemoTokens;
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  return tokens;
}

export function tokenConfigs(tokens: DemoTokens): Array<{ name: string; sha256: string; role: Role }> {
  return ROLES.map((role) => ({ name: `demo-${role}`, role, sha256: createHash('sha256').update(tokens[role]).digest('hex') }));
}
