import { z } from 'zod';
import { AgentSchema, AlertQuerySchema, AlertSchema, EnergyQuerySchema, EnergySchema, ViolationQuerySchema, ViolationSchema } from '../api-schemas.js';
import { alertView, violationView, type ApiContext } from '../api-context.js';
import { BadRequest, type RouteTable } from '../route-table.js';
import { csvCell } from './csv.js';
import { toMs } from './site-routes.js';

const READ = ['viewer', 'operator', 'grid'] as const;


export function registerReportRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({ method: 'GET', path: '/api/v1/violations', summary: 'Allocation violations: peak, duration, energy over allocation', roles: READ, query: ViolationQuerySchema, response: z.object({ violations: z.array(ViolationSchema) }) }, async ({ query }) => ({
    violations: (await ctx.store.violations
      .list({ ...(query.site ? { site: query.site } : {}), open: query.open === 'true', from: toMs(query.from, 0), to: toMs(query.to, Number.MAX_SAFE_INTEGER), limit: query.limit }, ctx.clock()))
      .map(violationView),
  }));

  routes.add({ method: 'GET', path: '/api/v1/alerts', summary: 'Alerts, newest first: agent offline, over allocation, control not confirmed in time, telemetry gap, meter vs miner-sum divergence, hard cap exceeded. ?open=true for the open ones', roles: READ, query: AlertQuerySchema, response: z.object({ alerts: z.array(AlertSchema) }) }, async ({ query }) => ({
    alerts: (await ctx.alerts.list({ open: query.open === 'true', ...(query.site ? { site: query.site } : {}), ...(query.kind ? { kind: query.kind } : {}), limit: query.limit })).map(alertView),
  }));

  routes.add({ method: 'GET', path: '/api/v1/energy', summary: 'Daily kWh per site (meter counters when present, else integrated from samples) and the fee at the site tariff; JSON or CSV', roles: READ, query: EnergyQuerySchema, response: EnergySchema, produces: ['application/json', 'text/csv'] }, async ({ query, req, reply }) => {
    if (query.from > query.to) throw new BadRequest([{ path: 'query.from', message: 'from must not be after to' }]);
    await ctx.refreshRollups();
    const rows = (await ctx.store.rollups.energy(query.from, query.to, await ctx.store.sites.allTerms())).filter((r) => !query.site || r.site === query.site).map((r) => ({ ...r, kwh: Math.round(r.kwh * 1000) / 1000, fee: Math.round(r.fee * 1e6) / 1e6 }));
    const wantsCsv = query.format === 'csv' || (query.format === undefined && /text\/csv/.test(req.headers.accept ?? ''));
    if (wantsCsv) {
      const header = 'site,day,kwh,source,minutes,tariff_per_kwh,fee,registered';
      const lines = rows.map((r) => [r.site, r.day, r.kwh, r.source, r.minutes, r.tariffPerKwh, r.fee, r.registered].map(csvCell).join(','));
      void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="energy-${query.from}-${query.to}.csv"`);
      return `${[header, ...lines].join('\n')}\n`;
    }
    return { from: query.from, to: query.to, rows, totals: { kwh: rows.reduce((a, r) => a + r.kwh, 0), fee: rows.reduce((a, r) => a + r.fee, 0) } };
  });

  routes.add({ method: 'GET', path: '/api/v1/agents', summary: 'Every agent: presence, session, last seen, birth (inventory and capabilities)', roles: READ, response: z.object({ agents: z.array(AgentSchema) }) }, async () => {
    const now = ctx.clock();
    return {
      agents: (await ctx.store.agents.list()).map((a) => {
        const l = ctx.live.agents(a.siteId).find((x) => x.agentId === a.id);
        return { site: a.site, agent: a.agent, online: l ? ctx.live.isOnline(l, now) : false, session: a.session, lastSeen: l?.lastSeen ?? a.lastSeen, sampleTs: l?.sampleTs ?? a.sampleTs, kw: l && l.sampleTs !== null ? (l.meterKw ?? l.minerKw) : null, birth: a.birth };
      }),
    };
  });
}
