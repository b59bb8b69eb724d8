import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/**
 * Locates the shared captured-response fixtures (`<repo>/../shared/fixtures`)
 * for parser tests. The repository root is found by walking up to its
 * package.json, so this works from sources and from dist/ alike.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) break;
    const up = dirname(dir);
    if (up === dir) {
      dir = process.cwd();
      break;
    }
    dir = up;
  }
  return dir;
}

export function sharedFixturesDir(): string {
  return join(dirname(repoRoot()), 'shared', 'fixtures');
}

/**
 * Reads a fixture file as text, or skips the test with the reason when the
 * fixtures are absent. Under CI=true an absent fixture fails the test instead.
 */
export function readFixtureOrSkip(t: TestContext, relativePath: string): string | undefined {
  const path = join(sharedFixturesDir(), relativePath);
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const reason = `fixture ${path} is absent`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true the shared fixtures must be present`);
  process.stdout.write(`# skipping: ${reason}\n`);
  t.skip(reason);
  return undefined;
}

/** Reads committed testdata beside a test's source (testdata/ is not compiled, so resolve from the repo root). */
export function readTestdata(relativeToRepo: string): string {
  return readFileSync(join(repoRoot(), relativeToRepo), 'utf8');
}
