import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the shared captures and our own testdata live, found from this file
 * (works from src or dist): the repo root is the nearest folder with
 * package.json, and the captures sit beside it in ../shared/fixtures.
 */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (package.json) not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const SHARED_FIXTURES = join(dirname(REPO_ROOT), 'shared', 'fixtures');

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Our committed samples: `testdata(import.meta.url-relative folder under the repo, file)`. */
export function testdataPath(driverFolder: 'antminer' | 'whatsminer', file: string): string {
  return join(REPO_ROOT, 'agent', 'drivers', 'miners', driverFolder, 'testdata', file);
}

/**
 * Skip option for node:test when a capture folder is absent: a printed reason
 * on developer machines, a hard failure under CI=true (fixtures are part of CI).
 */
export function fixtureFolder(relative: string): { dir: string; skip: string | false } {
  const dir = join(SHARED_FIXTURES, relative);
  if (existsSync(dir)) return { dir, skip: false };
  if (process.env.CI === 'true') throw new Error(`fixture folder ${dir} is missing; under CI=true that is a failure`);
  const reason = `fixture folder ${dir} is absent`;
  process.stdout.write(`# skipping: ${reason}\n`);
  return { dir, skip: reason };
}
