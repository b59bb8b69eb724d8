import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { actorOf, type Actor } from '../../audit/audit-log.js';
import type { CompanyRow } from '../../store/company-repository.js';
import { CompanyCreateSchema, CompanyDetailSchema, CompanyParamsSchema, CompanySchema, CompanyUpdateSchema } from '../api-schemas.js';
import { round, type ApiContext } from '../api-context.js';
import type { RouteTable } from '../route-table.js';

const READ = ['viewer', 'operator', 'grid'] as const;
const WRITE = ['operator', 'grid'] as const;

async function companyView(ctx: ApiContext, c: CompanyRow, now: number) {
  const sites = await ctx.companyCaps.sitesOf(c.id);
  const snap = await ctx.companyCaps.snapshot(c.id);
  return {
    id: c.id, name: c.name, allocationKw: c.allocationKw, hardCapKw: c.hardCapKw, autoLimit: c.autoLimit,
    sites: sites.map((s) => s.site), kw: round(sites.reduce((a, s) => a + ctx.live.view(s.id, now).kw, 0)),
    averageKw: snap.averageKw === null ? null : round(snap.averageKw), status: snap.status, openViolation: snap.openViolation,
  };
}

/** Companies (farm owners) and their caps across sites. */
export function registerCompanyRoutes(routes: RouteTable, ctx: ApiContext): void {
  const companyOr404 = async (id: string) => {
    const c = await ctx.store.companies.get(id);
    if (!c) throw new AppError('NOT_FOUND', `no company ${id}`);
    return c;
  };
  const changed = async (row: CompanyRow, before: CompanyRow | undefined, by: string, actor?: Actor) => {
    ctx.companyCaps.forget();
    await ctx.recordChange({ entity: 'company', id: row.id, before: before ? { ...before } : null, after: { ...row }, by, ...(actor ? { actor } : {}), at: ctx.clock() });
  };

  routes.add({ method: 'GET', path: '/api/v1/companies', summary: 'Companies (farm owners) with their sites, combined draw, cap and status', roles: READ, response: z.object({ companies: z.array(CompanySchema) }) }, async () => {
    const now = ctx.clock();
    const companies = [];
    for (const c of await ctx.store.companies.list()) companies.push(await companyView(ctx, c, now));
    return { companies };
  });

  routes.add({ method: 'POST', path: '/api/v1/companies', summary: 'Create a company; sites join it through their `company` field', roles: WRITE, body: CompanyCreateSchema, response: CompanySchema, status: 201, errors: { 409: 'a company with this id exists (use PUT)' } }, async ({ body, principal, req }) => {
    if (await ctx.store.companies.get(body.id)) throw new AppError('CONFLICT', `company ${body.id} exists; use PUT /api/v1/companies/${encodeURIComponent(body.id)}`);
    const { row } = await ctx.store.companies.upsert(body, ctx.clock());
    await changed(row, undefined, principal?.name ?? 'unknown', actorOf(principal, req));
    return await companyView(ctx, row, ctx.clock());
  });

  routes.add({ method: 'GET', path: '/api/v1/companies/{id}', summary: 'One company with its cap violations, newest first', roles: READ, params: CompanyParamsSchema, response: CompanyDetailSchema }, async ({ params }) => {
    const c = await companyOr404(params.id);
    const now = ctx.clock();
    return { ...(await companyView(ctx, c, now)), violations: await ctx.store.companies.violations({ company: c.id, limit: 50 }, now) };
  });

  routes.add({ method: 'PUT', path: '/api/v1/companies/{id}', summary: 'Update a company (fields left out keep their values)', roles: WRITE, params: CompanyParamsSchema, body: CompanyUpdateSchema, response: CompanySchema }, async ({ params, body, principal, req }) => {
    const c = await companyOr404(params.id);
    const { row } = await ctx.store.companies.upsert({
      id: c.id, name: body.name ?? c.name, allocationKw: body.allocationKw ?? c.allocationKw,
      hardCapKw: body.hardCapKw === undefined ? c.hardCapKw : body.hardCapKw, autoLimit: body.autoLimit ?? c.autoLimit,
    }, ctx.clock());
    await changed(row, c, principal?.name ?? 'unknown', actorOf(principal, req));
    return companyView(ctx, row, ctx.clock());
  });
}
