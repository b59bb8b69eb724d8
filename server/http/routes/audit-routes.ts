import { z } from 'zod';
import type { AuditEntry } from '../../store/audit-repository.js';
import { AuditEntrySchema, AuditQuerySchema } from '../account-schemas.js';
import type { ApiContext } from '../api-context.js';
import { BadRequest, type RouteTable } from '../route-table.js';
import { csvCell } from './csv.js';
import { toMs } from './site-routes.js';

const READ = ['viewer', 'operator', 'grid'] as const;
const CSV_HEADER = 'id,time,actor_kind,actor,ip,action,site,target,before,after';

function csvLine(e: AuditEntry): string {
  return [e.id, new Date(e.ts).toISOString(), e.actorKind, e.actor, e.ip, e.action, e.site, e.target, e.before === null ? '' : JSON.stringify(e.before), e.after === null ? '' : JSON.stringify(e.after)].map(csvCell).join(',');
}

/** The audit log: every state-changing action with who, when, from where, before and after. */
export function registerAuditRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add(
    {
      method: 'GET', path: '/api/v1/audit', roles: READ, query: AuditQuerySchema, response: z.object({ entries: z.array(AuditEntrySchema) }), produces: ['application/json', 'text/csv'],
      summary: 'Audit log, newest first: events created and cancelled, site changes, registrations, users and tokens, sign-ins, auto-enforcement. Filter by site, actor, action (or prefix such as event.), time; JSON or CSV',
    },
    async ({ query, req, reply }) => {
      const from = query.from === undefined ? undefined : toMs(query.from, 0);
      const to = query.to === undefined ? undefined : toMs(query.to, 0);
      if (from !== undefined && to !== undefined && from > to) throw new BadRequest([{ path: 'query.from', message: 'from must not be after to' }]);
      const entries = await ctx.audit.list({
        ...(query.site ? { site: query.site } : {}), ...(query.actor ? { actor: query.actor } : {}), ...(query.action ? { action: query.action } : {}),
        ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), limit: query.limit,
      });
      const wantsCsv = query.format === 'csv' || (query.format === undefined && /text\/csv/.test(req.headers.accept ?? ''));
      if (wantsCsv) {
        void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="hashwatt-audit.csv"');
        return `${[CSV_HEADER, ...entries.map(csvLine)].join('\n')}\n`;
      }
      return { entries };
    },
  );
}
