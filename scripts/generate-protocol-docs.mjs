#!/usr/bin/env node
// Writes docs/asyncapi.yaml and docs/schemas/*.json from the built protocol
// module (run `npm run build` first, or `npm run protocol-docs` which does).
// shared/protocol/spec/protocol-documents.test.ts fails when they are stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { renderProtocolDocuments } = await import(join(root, 'dist/shared/protocol/spec/protocol-documents.js'));
for (const [path, text] of renderProtocolDocuments()) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  process.stdout.write(`wrote ${path}\n`);
}
