import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import type { ApiContext } from '../api-context.js';
import type { RouteTable } from '../route-table.js';

export const OpenAdrStatusSchema = z.object({
  vtnUrl: z.string(), venName: z.string(),
  programs: z.array(z.object({ name: z.string(), id: z.string().nullable().describe('null until the VTN lists a program of that name') })),
  lastPollAt: z.number().nullable(), lastPollOk: z.boolean().nullable(), lastError: z.string().nullable(),
  pendingReports: z.number().describe('reports waiting for the VTN (kept and retried while it is unreachable)'),
  reportsSent: z.number().describe('since the collector started'),
  notifications: z.object({ webhook: z.boolean().describe('a webhook subscription is in place'), mqtt: z.boolean().describe('connected to the VTN\'s MQTT notifier') }),
  invalidObjects: z.number().describe('events and notifications refused as not valid OpenADR 3, since the start'),
});

export function registerOpenAdrRoute(routes: RouteTable, ctx: ApiContext): void {
  routes.add({ method: 'GET', path: '/api/v1/openadr', summary: 'The OpenADR VEN: its VTN, followed programs, last poll and reports waiting (docs/openadr.md); 404 when not configured', roles: ['viewer', 'operator', 'grid'], response: OpenAdrStatusSchema, errors: { 404: 'no OpenADR VTN is configured' } }, async () => {
    const s = await ctx.openadr?.();
    if (!s) throw new AppError('NOT_FOUND', 'no OpenADR VTN is configured (collector config: openadr)');
    return s;
  });
}
