import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyError, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { isAppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import { StreamQuerySchema } from './api-schemas.js';
import type { ApiContext } from './api-context.js';
import { createAuthenticator } from './auth.js';
import { buildOpenApi } from './openapi.js';
import { BadRequest, createRouteTable } from './route-table.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerCompanyRoutes } from './routes/company-routes.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerMeRoute } from './routes/me-route.js';
import { registerOpenAdrRoute } from './routes/openadr-route.js';
import { registerReportRoutes } from './routes/report-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerSiteRoutes } from './routes/site-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';

const STATUS_OF: Record<string, number> = { NOT_FOUND: 404, CONFLICT: 409, USAGE: 400, CONFIG_INVALID: 400, AUTH_FAILED: 401 };

export interface HttpServerOptions {
  ctx: ApiContext;
  log: Logger;
  version: string;
  /** More routes on the same server (the dashboard's static files). */
  extend?: (app: FastifyInstance) => void | Promise<void>;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
}

/** The HTTP API (fastify): /api/v1, /api/v1/stream, /api/v1/openapi.json, /metrics, /healthz. */
export async function createHttpServer({ ctx, log, version, extend, tls }: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: log.child({ component: 'http' }) as unknown as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1024 * 1024,
    trustProxy: ctx.config.http.trustProxy, ...(tls ? { https: tls } : {}),
    // Refusals before routing (a path parameter over maxParamLength: 414, a bad URL) in the API's error shape.
    frameworkErrors: (err, _req, reply) => {
      const status = (err as FastifyError).statusCode ?? 400;
      void (reply as unknown as FastifyReply).code(status).send({ error: (err as FastifyError).code ?? 'bad_request', message: err.message });
    },
  }) as unknown as FastifyInstance;
  // An empty body with content-type: application/json is no body (a DELETE from many
  // clients), not malformed JSON; anything else goes to fastify's own parser.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return jsonParser(req, text, done);
  });
  const auth = createAuthenticator(ctx.config.tokens, { users: ctx.store.users, clock: ctx.clock });
  const routes = createRouteTable(app, auth);

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof BadRequest) return reply.code(400).send({ error: 'bad_request', message: err.message, issues: err.issues });
    if (isAppError(err) && STATUS_OF[err.code]) return reply.code(STATUS_OF[err.code]!).send({ error: err.code.toLowerCase(), message: err.message });
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // fastify's own refusals: malformed JSON, wrong content type, body too large
      return reply.code(status).send({ error: (err as FastifyError).code ?? 'bad_request', message: err.message, issues: [{ path: 'body', message: err.message }] });
    }
    req.log.error({ err, url: req.url }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the collector log' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  app.get('/healthz', async (_req, reply) => {
    const h = ctx.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.header('content-type', ctx.metrics.registry.contentType).send(body);
  });

  registerMeRoute(routes);
  registerSiteRoutes(routes, ctx);
  registerEventRoutes(routes, ctx);
  registerReportRoutes(routes, ctx);
  registerOpenAdrRoute(routes, ctx);
  registerCompanyRoutes(routes, ctx);
  registerSessionRoutes(routes, ctx);
  registerUserRoutes(routes, ctx);
  registerAuditRoutes(routes, ctx);

  routes.add(
    {
      method: 'GET', path: '/api/v1/stream', roles: ['viewer', 'operator', 'grid'], query: StreamQuerySchema, allowQueryToken: true, produces: ['text/event-stream'],
      summary: 'Server-sent events: `site` (a site summary, as in GET /sites, coalesced ≤ 2/s per site), `event` (an event with progress, as GET /events/{id}), `violation` ({change: opened|closed, violation}), `alert` ({change: opened|closed, alert}, as in GET /alerts), `company_violation` ({change: opened|closed, violation}, as in GET /companies/{id}), `audit` (a new audit log entry, as in GET /audit)',
      response: z.string(),
    },
    ({ reply }) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      ctx.hub.add(reply.raw);
      return undefined;
    },
  );

  const openapi = buildOpenApi(routes.specs, version);
  app.get('/api/v1/openapi.json', async () => openapi);
  if (extend) await extend(app);
  return app;
}
