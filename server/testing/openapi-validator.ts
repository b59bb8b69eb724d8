import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;
interface Operation { path: string; method: string; match: RegExp; responses: Record<string, { content?: Record<string, { schema?: Json }> }> }

/**
 * OpenAPI 3.0 schema dialect → the JSON Schema ajv speaks: boolean
 * exclusiveMinimum/Maximum become numbers, `nullable` on a schema without a
 * type becomes an explicit null branch (ajv only reads nullable next to type).
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = k === 'enum' || k === 'const' ? v : toJsonSchema(v);
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (out[flag] === true) {
      out[flag] = out[bound];
      delete out[bound];
    } else if (out[flag] === false) delete out[flag];
  }
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    const branches = (out.anyOf ?? out.oneOf) as unknown[] | undefined;
    if (branches) {
      const key = out.anyOf ? 'anyOf' : 'oneOf';
      out[key] = [...branches, { type: 'null' }];
    } else if (Object.keys(out).some((k) => k !== 'description')) {
      return { anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}

export interface OpenApiValidator {
  /**
   * Problems with one answer of the API against the document: an undocumented
   * route or status, a body its schema refuses. Empty when all is well; null
   * when the path is not part of the documented API (dashboard, /metrics).
   */
  check(method: string, url: string, status: number, contentType: string | null, body: unknown): string[] | null;
  operations: Array<{ path: string; method: string }>;
}

/** Compiles every response schema of an OpenAPI document served by the collector. */
export function createOpenApiValidator(doc: Json): OpenApiValidator {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  const ops: Operation[] = [];
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation['responses'] extends infer R ? { responses: R } : never>>;
  for (const [path, methods] of Object.entries(paths)) {
    const match = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`);
    for (const [method, op] of Object.entries(methods)) ops.push({ path, method: method.toUpperCase(), match, responses: op.responses });
  }
  // Literal paths before templated ones (/sites/{id} must not take /sites).
  ops.sort((a, b) => Number(a.path.includes('{')) - Number(b.path.includes('{')));
  const compiled = new Map<string, ValidateFunction>();
  const validatorOf = (key: string, schema: Json) => {
    let v = compiled.get(key);
    if (!v) compiled.set(key, (v = ajv.compile(toJsonSchema(schema) as Json)));
    return v;
  };

  return {
    operations: ops.map((o) => ({ path: o.path, method: o.method })),
    check(method, url, status, contentType, body) {
      // Matched encoded: a parameter holding %2F is still one segment.
      const path = new URL(url, 'http://x').pathname;
      if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json') return null;
      const candidates = ops.filter((o) => o.match.test(path));
      if (candidates.length === 0) return status === 404 ? [] : [`${method} ${path}: no such path in the document, answered ${status}`];
      const op = candidates.find((o) => o.method === method.toUpperCase());
      // An undocumented method: fastify answers 404 (no route), which is fine.
      if (!op) return status === 404 ? [] : [`${method} ${path}: method not documented, answered ${status}`];
      const response = op.responses[String(status)];
      if (!response) return [`${method} ${op.path}: status ${status} not documented (documented: ${Object.keys(op.responses).join(', ')})`];
      const type = (contentType ?? '').split(';')[0]!.trim();
      const content = response.content ?? {};
      if (Object.keys(content).length && !content[type]) return [`${method} ${op.path} ${status}: content-type ${type || '(none)'} not documented (${Object.keys(content).join(', ')})`];
      const schema = content[type]?.schema;
      if (!schema || type !== 'application/json') return [];
      const validate = validatorOf(`${op.method} ${op.path} ${status}`, schema);
      if (validate(body)) return [];
      return (validate.errors ?? []).slice(0, 10).map((e) => `${method} ${op.path} ${status}: body${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
    },
  };
}
