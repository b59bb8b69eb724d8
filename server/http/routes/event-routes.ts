import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { EventCreateQuerySchema, EventListQuerySchema, EventParamsSchema, EventRequestSchema, EventSchema, PlanSchema } from '../api-schemas.js';
import { actorOf } from '../../audit/audit-log.js';
import { auditedEvent } from '../../audit/audited-views.js';
import { eventView, type ApiContext } from '../api-context.js';
import { BadRequest, type RouteTable } from '../route-table.js';

const READ = ['viewer', 'operator', 'grid'] as const;
const WRITE = ['operator', 'grid'] as const;

export function registerEventRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({ method: 'GET', path: '/api/v1/events', summary: 'Curtailment events, newest first, with per-site targets and requested vs achieved MW', roles: READ, query: EventListQuerySchema, response: z.object({ events: z.array(EventSchema) }) }, async ({ query }) => ({
    events: (await ctx.events.list(query.limit)).map(eventView),
  }));

  routes.add({ method: 'GET', path: '/api/v1/events/{id}', summary: 'One event with live progress', roles: READ, params: EventParamsSchema, response: EventSchema }, async ({ params }) => {
    const e = await ctx.events.get(params.id);
    if (!e) throw new AppError('NOT_FOUND', `no event ${params.id}`);
    return eventView(e);
  });

  routes.add(
    {
      method: 'POST', path: '/api/v1/events', roles: WRITE, query: EventCreateQuerySchema, body: EventRequestSchema, response: EventSchema, status: 201,
      alternatives: [{ status: 200, description: 'with ?dryRun=true: the plan only, nothing created', response: PlanSchema }],
      summary: 'Create a curtailment event (grid or operator). With ?dryRun=true only the plan is returned (200): unregistered sites first, then registered by tier, pro rata to draw; sleep_count and full planned at each miner\'s draw minus its expected sleep draw. priority emergency: agents command every miner at once (no batches, confirmed afterwards); normal and high ramp in confirmed batches; restores always ramp',
    },
    async ({ query, body, principal, req, reply }) => {
      if (body.start !== undefined && typeof body.start === 'string' && !Number.isFinite(Date.parse(body.start))) throw new BadRequest([{ path: 'body.start', message: 'not a valid time' }]);
      if (query.dryRun === 'true') {
        const plan = await ctx.events.preview(body);
        void reply.code(200);
        return { dryRun: true as const, requestedKw: plan.requestedKw, plannedShedKw: plan.plannedShedKw, shortfallKw: plan.shortfallKw, scopeKw: plan.scopeKw, machines: plan.machines ?? null, targets: plan.targets.map(({ siteId: _id, baselineHashing, ...t }) => ({ ...t, baselineMachines: baselineHashing ?? null })) };
      }
      const { event } = await ctx.events.create(body, principal?.name ?? 'unknown');
      const view = eventView(event);
      const after = auditedEvent(view);
      await ctx.audit.record(actorOf(principal, req), 'event.create', { site: after.sites.length === 1 ? after.sites[0] : null, target: event.id, after });
      void reply.code(201);
      return view;
    },
  );

  routes.add({ method: 'DELETE', path: '/api/v1/events/{id}', summary: 'Cancel an event; every affected site gets its new effective control (none when nothing remains). Events from an OpenADR VTN are read-only (409)', roles: WRITE, params: EventParamsSchema, response: EventSchema, errors: { 409: 'the event already ended (completed or cancelled), or an OpenADR VTN owns it' } }, async ({ params, principal, req }) => {
    const before = await ctx.events.get(params.id);
    // The VTN owns its events: it modifies or deletes them, and the VEN follows (docs/openadr.md).
    if (before?.source) throw new AppError('CONFLICT', `event ${params.id} comes from OpenADR program ${before.source.programName} (VTN event ${before.source.vtnEventId}) and is read-only here; the VTN changes or cancels it`);
    const view = eventView(await ctx.events.cancel(params.id));
    const after = auditedEvent(view);
    await ctx.audit.record(actorOf(principal, req), 'event.cancel', { site: after.sites.length === 1 ? after.sites[0] : null, target: params.id, before: before && auditedEvent(eventView(before)), after });
    return view;
  });
}

