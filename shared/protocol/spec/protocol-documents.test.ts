import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { MESSAGE_TYPES } from '../codec.js';
import { ControlSchema } from '../schemas/control.js';
import { asyncApiDocument, messageJsonSchema, renderProtocolDocuments } from './protocol-documents.js';

// dist/shared/protocol/spec/ -> repository root
const root = new URL('../../../../', import.meta.url).pathname;

test('docs/asyncapi.yaml and docs/schemas/*.json are what the codec schemas generate (run `npm run protocol-docs` after a schema change)', () => {
  const generated = renderProtocolDocuments();
  for (const [path, text] of generated) {
    let onDisk: string;
    try {
      onDisk = readFileSync(join(root, path), 'utf8');
    } catch {
      assert.fail(`${path} is missing: run \`npm run protocol-docs\``);
    }
    assert.ok(onDisk === text, `${path} is stale: a protocol schema changed without regenerating it; run \`npm run protocol-docs\` and commit the result`);
  }
  const onDiskSchemas = readdirSync(join(root, 'docs/schemas')).map((f) => `docs/schemas/${f}`);
  assert.deepEqual(onDiskSchemas.filter((p) => !generated.has(p)), [], 'docs/schemas holds a file no message generates');
});

test('docs/asyncapi.yaml parses clean with @asyncapi/parser (no errors, no warnings)', async () => {
  const text = readFileSync(join(root, 'docs/asyncapi.yaml'), 'utf8');
  const { document, diagnostics } = await new Parser().parse(text);
  const problems = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning);
  assert.deepEqual(problems.map((d) => `${d.path.join('.')}: ${d.message}`), []);
  assert.ok(document, 'the parser returned no document');
  assert.equal(document.version(), '3.1.0');
  // Every topic of the codec is a channel with its QoS and retain flag.
  const addresses = document.channels().all().map((c) => c.address());
  assert.equal(addresses.length, Object.keys(MESSAGE_TYPES).length);
  assert.ok(addresses.includes('hashwatt/v1/{site}/{agent}/control'));
  for (const op of document.operations().all()) {
    const mqtt = op.bindings().get('mqtt')?.value() as { qos: number; retain: boolean } | undefined;
    assert.ok(mqtt && mqtt.qos === 1 && typeof mqtt.retain === 'boolean', `operation ${op.id()} has an MQTT binding with QoS and retain`);
  }
});

test('the JSON Schemas follow the zod schemas: every control field is there, defaulted ones optional', () => {
  const schema = messageJsonSchema('control') as { properties: Record<string, unknown>; required: string[] };
  assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(ControlSchema.shape).sort());
  assert.ok(schema.required.includes('revision'));
  assert.ok(!schema.required.includes('level'), 'level has a default, so a sender may leave it out');
  assert.ok(!schema.required.includes('sig'), 'sig is optional in the schema: unsigned controls are refused by verification, not by the schema');
  const doc = asyncApiDocument() as { components: { schemas: Record<string, unknown> } };
  assert.ok('control-report' in doc.components.schemas);
});
