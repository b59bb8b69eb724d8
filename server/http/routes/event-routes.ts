import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { EventCreateQuerySchema, EventListQuerySchema, EventParamsSchema, EventRequestSchema, EventSchema, PlanSchema } from '../api-schemas.js';
import { eventView, type ApiContext } from '../api-context.js';
import { BadRequest, type RouteTable } from '../route-table.js';

const READ = ['viewer', 'operator', 'grid'] as const;
const WRITE = ['operator', 'grid'] as const;

export function registerEventRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({ method: 'GET', path: '/api/v1/events', summary: 'Curtailment events, newest first, with per-site targets and requested vs achieved MW', roles: READ, query: EventListQuerySchema, response: z.object({ events: z.array(EventSchema) }) }, ({ query }) => ({
    events: ctx.events.list(query.limit).map(eventView),
  }));

  routes.add({ method: 'GET', path: '/api/v1/events/{id}', summary: 'One event with live progress', roles: READ, params: EventParamsSchema, response: EventSchema }, ({ params }) => {
    const e = ctx.events.get(params.id);
    if (!e) throw new AppError('NOT_FOUND', `no event ${params.id}`);
    return eventView(e);
  });

  routes.add(
    {
      method: 'POST', path: '/api/v1/events', roles: WRITE, query: EventCreateQuerySchema, body: EventRequestSchema, response: EventSchema, status: 201,
      alternatives: [{ status: 200, description: 'with ?dryRun=true: the plan only, nothing created', response: PlanSchema }],
      summary: 'Create a curtailment event (grid or operator). With ?dryRun=true only the plan is returned (200): unregistered sites first, then registered by tier, pro rata to draw',
    },
    ({ query, body, principal, reply }) => {
      if (body.start !== undefined && typeof body.start === 'string' && !Number.isFinite(Date.parse(body.start))) throw new BadRequest([{ path: 'body.start', message: 'not a valid time' }]);
      if (query.dryRun === 'true') {
        const plan = ctx.events.preview(body);
        void reply.code(200);
        return { dryRun: true as const, requestedKw: plan.requestedKw, plannedShedKw: plan.plannedShedKw, shortfallKw: plan.shortfallKw, scopeKw: plan.scopeKw, machines: plan.machines ?? null, targets: plan.targets.map(({ siteId: _id, baselineHashing, ...t }) => ({ ...t, baselineMachines: baselineHashing ?? null })) };
      }
      const { event } = ctx.events.create(body, principal?.name ?? 'unknown');
      void reply.code(201);
      return eventView(event);
    },
  );

  routes.add({ method: 'DELETE', path: '/api/v1/events/{id}', summary: 'Cancel an event; every affected site gets its new effective control (none when nothing remains)', roles: WRITE, params: EventParamsSchema, response: EventSchema, errors: { 409: 'the event already ended (completed or cancelled)' } }, ({ params }) => eventView(ctx.events.cancel(params.id)));
}
