import { z } from 'zod';
import { ErrorSchema } from './api-schemas.js';
import type { RouteSpec } from './route-table.js';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
  return rest;
}

/** OpenAPI 3 document built from the route table's zod schemas. */
export function buildOpenApi(specs: ReadonlyArray<RouteSpec<z.ZodType, z.ZodType, z.ZodType>>, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = { 'application/json': { schema: jsonSchema(ErrorSchema, 'output') } };
  for (const spec of specs) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', spec.params], ['query', spec.query]] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
      for (const [name, prop] of Object.entries(js.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop, ...(prop.description ? { description: prop.description } : {}) });
      }
    }
    const responses: Record<string, unknown> = {
      [String(spec.status ?? 200)]: {
        description: 'success',
        content: Object.fromEntries((spec.produces ?? ['application/json']).map((type) => [type, type === 'application/json' && spec.response ? { schema: jsonSchema(spec.response, 'output') } : { schema: { type: 'string' } }])),
      },
      '400': { description: 'bad request: each bad field named in issues', content: error },
    };
    for (const alt of spec.alternatives ?? []) responses[String(alt.status)] = { description: alt.description, content: { 'application/json': { schema: jsonSchema(alt.response, 'output') } } };
    for (const [status, description] of Object.entries(spec.errors ?? {})) responses[status] = { description, content: error };
    if (spec.body) {
      responses['413'] = { description: 'body larger than 1 MiB', content: error };
      responses['415'] = { description: 'body not application/json', content: error };
    }
    if (spec.path.includes('{')) responses['414'] = { description: 'a path parameter longer than the server accepts', content: error };
    if (spec.roles.length) {
      responses['401'] = { description: 'missing or unknown bearer token', content: error };
      responses['403'] = { description: `role not allowed (allowed: ${spec.roles.join(', ')})`, content: error };
    }
    if (spec.path.includes('{')) responses['404'] = { description: 'not found', content: error };
    const op: Record<string, unknown> = {
      summary: spec.summary,
      operationId: `${spec.method.toLowerCase()}${spec.path.replace(/\/api\/v1/, '').replace(/[{}]/g, '').split('/').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('')}`,
      parameters,
      responses,
      // admin may call every route (server/http/auth.ts roleAllows)
      ...(spec.roles.length ? { security: [{ bearer: [] }, { session: [] }], 'x-roles': [...new Set([...spec.roles, 'admin'])] } : {}),
    };
    if (spec.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } };
    (paths[spec.path] ??= {})[spec.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'hashwatt collector API', version,
      description: 'Sites, live power, compliance, curtailment events, energy and fees. Bearer tokens (service tokens of the collector YAML, or tokens of named users) or the dashboard session cookie (POST /api/v1/session), with roles viewer (read), grid and operator (read, sites, events) and admin (everything, and users). Every change is in the audit log (GET /api/v1/audit). Live updates: GET /api/v1/stream (server-sent events: site, event, violation, alert).',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'hashwatt_session' } } },
    paths,
  };
}
