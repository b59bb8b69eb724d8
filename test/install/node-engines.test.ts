import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../agent/drivers/miners/transport/test-fixtures.js';

// `npm ci` warns EBADENGINE when a locked package's engines.node excludes the
// running Node (cookie@2 through fastify's light-my-request wanted >=22). The
// README and package.json promise Node 20.17 (@asyncapi/parser's spectral needs
// it), so every package in the lock must accept the lowest version package.json
// promises and the Node running this test.

type Version = [number, number, number];

function parse(text: string): Version {
  const [a = 0, b = 0, c = 0] = text.replace(/^v/, '').split('.').map((p) => (p === 'x' ? 0 : Number.parseInt(p, 10) || 0));
  return [a, b, c];
}

function compare(x: Version, y: Version): number {
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** The range forms npm packages use in engines.node: `*`, `>=x`, `^x`, `~x`, `20.x`, `x || y`, `>=x <y`. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alt) => {
    const parts = alt.trim().replace(/(>=|<=|>|<|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return parts.every((part) => {
      if (part === '*' || part === 'x') return true;
      const m = /^(>=|<=|>|<|\^|~|=)?(.+)$/.exec(part)!;
      const op = m[1] ?? '=';
      const w = parse(m[2]!);
      const wildcardMinor = /^\d+(\.x)?$/.test(m[2]!);
      switch (op) {
        case '>=': return compare(v, w) >= 0;
        case '>': return compare(v, w) > 0;
        case '<=': return compare(v, w) <= 0;
        case '<': return compare(v, w) < 0;
        case '^': return v[0] === w[0] && compare(v, w) >= 0;
        case '~': return v[0] === w[0] && v[1] === w[1] && compare(v, w) >= 0;
        default: return wildcardMinor ? v[0] === w[0] : compare(v, w) === 0;
      }
    });
  });
}

test('engine ranges: the forms in use are read correctly', () => {
  assert.equal(satisfies('20.0.0', '>=22'), false);
  assert.equal(satisfies('20.0.0', '>=20'), true);
  assert.equal(satisfies('20.19.1', '^18 || ^20 || >= 21'), true);
  assert.equal(satisfies('20.0.0', '20.x || 22.x'), true);
  assert.equal(satisfies('21.1.0', '20.x || 22.x'), false);
  assert.equal(satisfies('20.0.0', '>=18.2.0'), true);
  assert.equal(satisfies('20.0.0', '>= 14.6'), true);
  assert.equal(satisfies('20.0.0', '*'), true);
});

/** `>=20.17` in package.json's engines.node -> `20.17.0`. */
function lowestPromised(): string {
  const range = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range.trim());
  if (!m) throw new Error(`package.json engines.node is "${range}"; this test reads the form >=X.Y.Z`);
  return parse(m[1]!).join('.');
}

test('every locked package accepts the lowest Node package.json promises and the running Node (no EBADENGINE on npm ci)', () => {
  const lock = JSON.parse(readFileSync(join(repoRoot(), 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
  const refused: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    const range = !Array.isArray(pkg.engines) ? pkg.engines?.node : undefined;
    if (!range) continue;
    for (const node of [lowestPromised(), process.versions.node]) {
      if (!satisfies(node, range)) refused.push(`${path || '(root)'}@${pkg.version ?? '?'} wants node ${range}, not ${node}`);
    }
  }
  assert.deepEqual(refused, []);
});
