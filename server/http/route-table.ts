import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../../shared/protocol/codec.js';
import type { Role } from '../config/collector-config.js';
import type { Authenticator, Principal } from './auth.js';

export interface RouteSpec<Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  /** Empty: no token needed. */
  roles: readonly Role[];
  query?: Q;
  body?: B;
  params?: P;
  /** Response schema of the success status, for the OpenAPI document. */
  response?: z.ZodType;
  status?: number;
  /** Other success answers (status, what it means, its body). */
  alternatives?: Array<{ status: number; description: string; response: z.ZodType }>;
  /** Error statuses this route answers besides the ones every route may (400, 401, 403, 404), with when. */
  errors?: Record<number, string>;
  produces?: string[];
  allowQueryToken?: boolean;
  /** With no roles: still identify a caller if there is one (principal may be undefined). */
  optionalAuth?: boolean;
}

export interface Parsed<Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType> {
  query: z.infer<Q>;
  body: z.infer<B>;
  params: z.infer<P>;
  principal: Principal | undefined;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** A 400 whose body names every bad field. */
export class BadRequest extends Error {
  constructor(readonly issues: Array<{ path: string; message: string }>) {
    super(`invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): z.infer<S> {
  if (!schema) return undefined as z.infer<S>;
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!r.success) throw new BadRequest(formatIssues(r.error.issues).map((i) => ({ path: i.path === '(root)' ? where : `${where}.${i.path}`, message: i.message })));
  return r.data;
}

/**
 * Registers routes from one table that is also the source of the OpenAPI
 * document, so the document cannot drift from what the server checks.
 */
export function createRouteTable(app: FastifyInstance, auth: Authenticator) {
  const specs: Array<RouteSpec<z.ZodType, z.ZodType, z.ZodType>> = [];
  return {
    specs,
    add<Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
      spec: RouteSpec<Q, B, P>,
      handler: (p: Parsed<Q, B, P>) => unknown,
    ): void {
      specs.push(spec as unknown as RouteSpec<z.ZodType, z.ZodType, z.ZodType>);
      app.route({
        method: spec.method,
        url: spec.path.replace(/\{(\w+)\}/g, ':$1'),
        handler: async (req, reply) => {
          let principal: Principal | undefined;
          if (spec.roles.length > 0) {
            principal = await auth.check(req, reply, spec.roles, spec.allowQueryToken);
            if (!principal) return reply;
          } else if (spec.optionalAuth) principal = await auth.identify(req, spec.allowQueryToken);
          const params = parsePart(spec.params, req.params, 'params');
          const query = parsePart(spec.query, req.query, 'query');
          const body = parsePart(spec.body, req.body, 'body');
          if (spec.status) void reply.code(spec.status); // the handler may still answer otherwise
          const result = await handler({ query, body, params, principal, req, reply });
          if (result === undefined) return reply;
          return result;
        },
      });
    },
  };
}
export type RouteTable = ReturnType<typeof createRouteTable>;
