import { AppError } from '../../../shared/errors.js';
import { MinerTableSchema, MinersQuerySchema, SeriesQuerySchema, SeriesSchema, SiteCreateSchema, SiteDetailSchema, SiteParamsSchema, SiteSummarySchema, SiteTermsSchema, SiteUpdateSchema } from '../api-schemas.js';
import { actorOf } from '../../audit/audit-log.js';
import { siteSummary, violationView, type ApiContext } from '../api-context.js';
import { BadRequest, type RouteTable } from '../route-table.js';
import { z } from 'zod';

const READ = ['viewer', 'operator', 'grid'] as const;
const WRITE = ['operator', 'grid'] as const;

export function toMs(v: number | string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  return typeof v === 'number' ? v : Date.parse(v);
}

export function registerSiteRoutes(routes: RouteTable, ctx: ApiContext): void {
  const siteOr404 = async (id: string) => {
    const s = await ctx.store.sites.get(id);
    if (!s) throw new AppError('NOT_FOUND', `no site ${id}`);
    return s;
  };

  routes.add({ method: 'GET', path: '/api/v1/sites', summary: 'All sites with live kW, hashrate, miner counts by state, compliance and agents online', roles: READ, response: z.object({ sites: z.array(SiteSummarySchema) }) }, async () => {
    const now = ctx.clock();
    const sites = [];
    for (const s of await ctx.store.sites.list()) sites.push(await siteSummary(ctx, s, now));
    return { sites };
  });

  routes.add({ method: 'POST', path: '/api/v1/sites', summary: 'Register a site (or replace an unknown one that reported)', roles: WRITE, body: SiteCreateSchema, response: SiteSummarySchema, status: 201, errors: { 409: 'a registered site with this id exists (use PUT)' } }, async ({ body, reply, principal, req }) => {
    const existing = await ctx.store.sites.get(body.id);
    if (existing && !existing.flagged) throw new AppError('CONFLICT', `site ${body.id} exists; use PUT /api/v1/sites/${body.id}`);
    const { row } = await ctx.store.sites.upsert(body, ctx.clock());
    await ctx.siteChanged(row, existing, principal?.name ?? 'unknown', actorOf(principal, req));
    void reply.code(201);
    return await siteSummary(ctx, row, ctx.clock());
  });

  routes.add({ method: 'PUT', path: '/api/v1/sites/{id}', summary: 'Update a site (fields left out keep their values); registers an unknown site', roles: WRITE, params: SiteParamsSchema, body: SiteUpdateSchema, response: SiteSummarySchema }, async ({ params, body, principal, req }) => {
    const s = await siteOr404(params.id);
    const merged = {
      id: s.site, name: body.name ?? s.name, region: body.region ?? s.region, company: body.company ?? s.company,
      registered: body.registered ?? (s.flagged ? true : s.registered), allocationKw: body.allocationKw ?? s.allocationKw,
      hardCapKw: body.hardCapKw === undefined ? s.hardCapKw : body.hardCapKw, tariffPerKwh: body.tariffPerKwh ?? s.tariffPerKwh, tier: body.tier ?? s.tier,
      autoEnforce: body.autoEnforce === undefined ? s.autoEnforce : body.autoEnforce,
    };
    const now = ctx.clock();
    const effectiveFrom = toMs(body.effectiveFrom, now);
    if (!Number.isFinite(effectiveFrom)) throw new BadRequest([{ path: 'body.effectiveFrom', message: 'not a valid time' }]);
    const { row } = await ctx.store.sites.upsert(merged, now, effectiveFrom);
    await ctx.siteChanged(row, s, principal?.name ?? 'unknown', actorOf(principal, req));
    return await siteSummary(ctx, row, now);
  });

  routes.add({ method: 'GET', path: '/api/v1/sites/{id}/terms', summary: 'History of a site\'s allocation, hard cap and tariff: each change with the time it takes effect (future ones included)', roles: READ, params: SiteParamsSchema, response: SiteTermsSchema }, async ({ params }) => {
    const s = await siteOr404(params.id);
    return { site: s.site, terms: await ctx.store.sites.terms(s.id) };
  });

  routes.add({ method: 'GET', path: '/api/v1/sites/{id}', summary: 'One site: summary, agents, effective control, recent control reports and violations', roles: READ, params: SiteParamsSchema, response: SiteDetailSchema }, async ({ params }) => {
    const s = await siteOr404(params.id);
    const now = ctx.clock();
    const liveAgents = new Map(ctx.live.agents(s.id).map((a) => [a.agentId, a]));
    return {
      ...(await siteSummary(ctx, s, now)),
      agents: (await ctx.store.agents.listBySite(s.id)).map((a) => {
        const l = liveAgents.get(a.id);
        return { site: a.site, agent: a.agent, online: l ? ctx.live.isOnline(l, now) : false, session: a.session, lastSeen: l?.lastSeen ?? a.lastSeen, sampleTs: l?.sampleTs ?? a.sampleTs, kw: l && l.sampleTs !== null ? (l.meterKw ?? l.minerKw) : null, birth: a.birth };
      }),
      control: (await ctx.store.events.control(s.id))?.payload.effective ?? null,
      reports: await ctx.store.events.reports(s.id, 20),
      violations: (await ctx.store.violations.list({ site: s.site, limit: 20 }, now)).map(violationView),
    };
  });

  routes.add({ method: 'GET', path: '/api/v1/sites/{id}/series', summary: 'kW and hashrate over time, averaged per step (raw samples, 1-minute or 1-hour rollups by step)', roles: READ, params: SiteParamsSchema, query: SeriesQuerySchema, response: SeriesSchema }, async ({ params, query }) => {
    const s = await siteOr404(params.id);
    const to = toMs(query.to, ctx.clock());
    const from = toMs(query.from, to - 3_600_000);
    if (!(from < to)) throw new BadRequest([{ path: 'query.from', message: 'from must be before to' }]);
    const step = query.step ?? Math.max(1000, Math.ceil((to - from) / 500 / 1000) * 1000);
    if ((to - from) / step > 10_000) throw new BadRequest([{ path: 'query.step', message: `that asks for ${Math.ceil((to - from) / step)} points; at most 10000 (use a larger step)` }]);
    if (step >= 60_000) await ctx.refreshRollups();
    return { site: s.site, from, to, step, allocationKw: s.allocationKw, points: await ctx.store.rollups.series(s.id, from, to, step) };
  });

  routes.add({ method: 'GET', path: '/api/v1/sites/{id}/miners', summary: 'Latest state of each miner of a site, least efficient (highest J/TH) first', roles: READ, params: SiteParamsSchema, query: MinersQuerySchema, response: MinerTableSchema }, async ({ params, query }) => {
    const s = await siteOr404(params.id);
    return { site: s.site, ...await ctx.store.telemetry.miners(s.id, query.limit, query.offset) };
  });
}

