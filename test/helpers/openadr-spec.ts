import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * The OpenADR 3.1 OpenAPI document, read in place from ../shared/openadr3 (next
 * to the repository, never copied into it), and checks of requests and responses
 * against the operation they belong to. Tests skip with this reason where the
 * document is absent, and fail under CI=true, where it is always present.
 */
export const SPEC_PATH = resolve(process.env.OPENADR3_SPEC ?? resolve(process.cwd(), '..', 'shared', 'openadr3', 'openadr3.yaml'));

export function specMissing(): string | undefined {
  if (existsSync(SPEC_PATH)) return undefined;
  const reason = `the OpenADR 3.1 specification is not at ${SPEC_PATH} (set OPENADR3_SPEC)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must have it`);
  return reason;
}

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Drops OpenAPI-only keywords ajv does not take (discriminator needs a shape the document does not follow; example is documentation). */
function clean(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(clean);
  if (x && typeof x === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'discriminator' && k !== 'example') out[k] = clean(v);
    // OpenAPI 3.0 spells an exclusive bound as a boolean beside maximum/minimum; JSON Schema as the bound itself.
    for (const [flag, bound] of [['exclusiveMaximum', 'maximum'], ['exclusiveMinimum', 'minimum']] as const) {
      if (typeof out[flag] === 'boolean') {
        if (out[flag] && typeof out[bound] === 'number') { out[flag] = out[bound]; delete out[bound]; } else delete out[flag];
      }
    }
    return out;
  }
  return x;
}

export interface SpecValidator {
  /** Errors of a request body for `method path` (path with its query string dropped), [] when valid. */
  request(method: string, path: string, body: unknown): string[];
  response(method: string, path: string, status: number, body: unknown): string[];
  /** Errors of the query string of `method path?query`: each parameter declared by the operation, of its type. */
  query(method: string, pathWithQuery: string): string[];
  /** Errors against one components/schemas entry (notifications, which no path describes). */
  schema(name: string, value: unknown): string[];
}

export function loadSpec(): SpecValidator {
  const doc = parse(readFileSync(SPEC_PATH, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int32', true).addFormat('float', true);
  ajv.addSchema(clean({ $id: 'openadr3', components: doc.components }) as Json);
  const cache = new Map<string, ValidateFunction>();
  const compile = (schema: Json): ValidateFunction => {
    const key = JSON.stringify(schema);
    let v = cache.get(key);
    if (!v) {
      v = ajv.compile(clean(rewriteRefs(schema)) as Json);
      cache.set(key, v);
    }
    return v;
  };
  const rewriteRefs = (x: any): any => {
    if (Array.isArray(x)) return x.map(rewriteRefs);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openadr3${v}` : rewriteRefs(v)]));
    return x;
  };
  const operations = Object.entries(doc.paths as Json).map(([template, item]) => ({
    re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    item: item as Json,
  }));
  const operation = (method: string, path: string): Json => {
    const p = path.split('?')[0]!;
    const found = operations.find((o) => o.re.test(p));
    const op = found?.item[method.toLowerCase()] as Json | undefined;
    if (!op) throw new Error(`openadr3.yaml has no operation ${method} ${p}`);
    return op;
  };
  const resolveRef = (x: Json): Json => {
    if (typeof x.$ref !== 'string') return x;
    const parts = (x.$ref as string).replace(/^#\//, '').split('/');
    return resolveRef(parts.reduce((a: any, k) => a[k], doc) as Json);
  };
  const check = (schema: Json | undefined, value: unknown, where: string): string[] => {
    if (!schema) return [`${where}: no schema in openadr3.yaml`];
    const v = compile(schema);
    return v(value) ? [] : (v.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? ''}`.trim());
  };
  return {
    request(method, path, body) {
      const rb = operation(method, path).requestBody as Json | undefined;
      const content = rb && resolveRef(rb).content as Json;
      const schema = content?.['application/json']?.schema ?? content?.['application/x-www-form-urlencoded']?.schema;
      return check(schema as Json, body, `request ${method} ${path}`);
    },
    response(method, path, status, body) {
      const responses = operation(method, path).responses as Json;
      const r = responses[String(status)] as Json | undefined;
      if (!r) return [`response ${method} ${path}: status ${status} is not one openadr3.yaml lists`];
      const schema = (resolveRef(r).content as Json | undefined)?.['application/json']?.schema as Json | undefined;
      if (!schema) return body === undefined || body === '' ? [] : [`response ${method} ${path} ${status}: a body where none is described`];
      return check(schema, body, `response ${method} ${path} ${status}`);
    },
    query(method, pathWithQuery) {
      const url = new URL(pathWithQuery, 'http://vtn.invalid');
      const p = url.pathname;
      const found = operations.find((o) => o.re.test(p));
      const op = found?.item[method.toLowerCase()] as Json | undefined;
      if (!op) return [`query ${method} ${p}: no such operation`];
      const declared = [...((found!.item.parameters as Json[] | undefined) ?? []), ...((op.parameters as Json[] | undefined) ?? [])].map(resolveRef).filter((x) => x.in === 'query');
      const errors: string[] = [];
      for (const [name, raw] of url.searchParams) {
        const param = declared.find((d) => d.name === name);
        if (!param) { errors.push(`query ${method} ${p}: parameter ${name} is not declared`); continue; }
        const schema = param.schema as Json;
        const type = resolveRef(schema).type;
        const value = type === 'integer' || type === 'number' ? Number(raw) : type === 'boolean' ? raw === 'true' ? true : raw === 'false' ? false : raw : type === 'array' ? [raw] : raw;
        errors.push(...check(schema, value, `query ${method} ${p} ${name}`));
      }
      return errors;
    },
    schema(name, value) {
      return check({ $ref: `#/components/schemas/${name}` }, value, name);
    },
  };
}
