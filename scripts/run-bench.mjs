#!/usr/bin/env node
// `npm run bench -- <name> [flags]` runs dist/bench/<name>-bench.js (after the
// build) with the flags passed through. Without a name it lists the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist', 'bench');
const [name, ...rest] = process.argv.slice(2);
const available = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('-bench.js')).map((f) => f.replace(/-bench\.js$/, '')) : [];

if (!name || !available.includes(name)) {
  process.stderr.write(`${name ? `no benchmark '${name}'. ` : ''}Usage: npm run bench -- <name> [flags]\nBenchmarks: ${available.join(', ') || '(none built; run npm run build)'}\n`);
  process.exit(2);
}
const result = spawnSync(process.execPath, [join(dir, `${name}-bench.js`), ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
