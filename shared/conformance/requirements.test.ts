import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AGENT_REQUIREMENTS, COLLECTOR_REQUIREMENTS } from './requirements.js';

// dist/shared/conformance/ -> repository root
const protocol = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = new Set(
  [...protocol.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').trim().replace(/\s/g, '-')),
);

test('every requirement of the kit names a section that exists in docs/protocol.md and is listed there', () => {
  for (const r of [...AGENT_REQUIREMENTS, ...COLLECTOR_REQUIREMENTS]) {
    assert.ok(anchors.has(r.section), `${r.id} cites #${r.section}, which is no heading of docs/protocol.md`);
    assert.match(protocol, new RegExp(`\\| ${r.id} \\|`), `${r.id} is missing from the conformance tables of docs/protocol.md`);
  }
});
