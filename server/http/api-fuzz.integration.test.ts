import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestCollector, TOKENS } from '../testing/test-collector.js';

/**
 * Property-based fuzz of every documented route (seeded: FUZZ_SEED, FUZZ_RUNS per
 * route). Requests are built from the served OpenAPI document's own schemas, near
 * misses of them and plain garbage; the test collector's request helper checks every
 * answer against the document (status documented, body valid), and here: never a 5xx.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20211214);
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);

type Schema = Record<string, any>;

/** Values a JSON schema accepts, mostly (bounds and enums honoured, patterns not). */
function fromSchema(schema: Schema | undefined, ids: string[], depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (branches) return fc.oneof(...branches.map((b) => fromSchema(b, ids, depth + 1)));
  const value = ((): fc.Arbitrary<unknown> => {
    switch (schema.type) {
      case 'object': {
        const props = (schema.properties ?? {}) as Record<string, Schema>;
        const required = (schema.required ?? []) as string[];
        const rec: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) rec[k] = k === 'id' || k === 'sites' ? fc.oneof(fromSchema(v, ids, depth + 1), k === 'id' ? fc.constantFrom(...ids) : fc.subarray(ids)) : fromSchema(v, ids, depth + 1);
        return fc.record(rec, { requiredKeys: required.filter((k) => k in rec) });
      }
      case 'array': return fc.array(fromSchema(schema.items as Schema, ids, depth + 1), { maxLength: 4 });
      case 'integer': return fc.integer({ min: Math.max(-1e6, Math.ceil(schema.minimum ?? -1e6)), max: Math.min(1e9, Math.floor(schema.maximum ?? 1e9)) });
      case 'number': return fc.oneof(fc.double({ min: schema.minimum ?? -1e12, max: schema.maximum ?? 1e12, noNaN: true }), fc.constantFrom(0, 1, 1e9, 1.7e308));
      case 'boolean': return fc.boolean();
      case 'string': return schema.format === 'date-time' ? fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()) : fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...ids, '2022-01-05', 'true', 'x'.repeat(300)));
      default: return fc.jsonValue({ maxDepth: 2 });
    }
  })();
  return schema.nullable ? fc.oneof(value, fc.constant(null)) : value;
}

/** Valid-ish, or a near miss (a field dropped or replaced by garbage), or garbage. */
function mutated(schema: Schema | undefined, ids: string[]): fc.Arbitrary<unknown> {
  const base = fromSchema(schema, ids);
  const broken = fc.tuple(base, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(([v, key, junk]) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const k = keys.length ? keys[key.length % keys.length]! : key;
      return { ...(v as object), [k]: junk };
    }
    return junk;
  });
  return fc.oneof({ weight: 3, arbitrary: base }, { weight: 2, arbitrary: broken }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
}

test('fuzz: every route answers within its OpenAPI document and never with a 5xx', { timeout: 600_000 }, async () => {
  const prefix = `z${Math.random().toString(36).slice(2, 8)}`;
  const ids = [`${prefix}-a`, `${prefix}-b`];
  const tc = await startTestCollector({ sites: ids.map((id, i) => ({ id, name: id, region: 'fuzz', allocationKw: 100 * (i + 1) })) }, { prefix, serveSites: ids });
  try {
    const doc = (await tc.api('/api/v1/openapi.json', { token: null })).body as { paths: Record<string, Record<string, Schema>> };
    const ev = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { sites: ids }, kind: 'full', durationS: 3600 } });
    assert.equal(ev.status, 201);
    const pathIds = [...ids, ev.body.id as string];
    let requests = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (path === '/api/v1/stream') continue; // an endless event stream; its 401/403/400 are covered by other tests
        const params = (op.parameters ?? []) as Array<{ name: string; in: 'path' | 'query'; schema: Schema; required: boolean }>;
        const pathArb = fc.record(Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, fc.oneof(fc.constantFrom(...pathIds), fc.string({ minLength: 1, maxLength: 120 }))])));
        const queryArb = fc.record(Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, fc.oneof(fromSchema(p.schema, ids), fc.string({ maxLength: 10 }))])), { requiredKeys: [] });
        const bodySchema = op.requestBody?.content?.['application/json']?.schema as Schema | undefined;
        const bodyArb = bodySchema ? fc.option(mutated(bodySchema, ids), { nil: undefined, freq: 8 }) : fc.constant(undefined);
        const tokenArb = fc.constantFrom<keyof typeof TOKENS | null>('operator', 'grid', 'operator', 'viewer', null);
        await fc.assert(
          fc.asyncProperty(pathArb, queryArb, bodyArb, tokenArb, async (p, q, body, token) => {
            const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String(p[name])));
            const qs = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
            requests++;
            // api() throws when the answer is outside the document (status or body).
            const r = await tc.api(`${url}${qs ? `?${qs}` : ''}`, { method: method.toUpperCase(), token, ...(body !== undefined ? { body } : {}) });
            assert.ok(r.status < 500, `${method.toUpperCase()} ${url}?${qs} answered ${r.status}: ${r.text.slice(0, 300)}`);
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
        );
      }
    }
    assert.ok(requests >= RUNS * 10, `only ${requests} requests`);
  } finally {
    await tc.stop();
  }
});
