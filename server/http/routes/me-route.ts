import { ROLES } from '../../config/collector-config.js';
import { MeSchema } from '../api-schemas.js';
import type { RouteTable } from '../route-table.js';

/**
 * Who the bearer token belongs to, so a client (the dashboard) can hide what
 * its role may not do instead of probing with requests that would be refused.
 */
export function registerMeRoute(routes: RouteTable): void {
  routes.add({ method: 'GET', path: '/api/v1/me', summary: 'The caller: name and role of the user or service token, and whether by token or session', roles: ROLES, response: MeSchema }, ({ principal }) => ({
    name: principal!.name, role: principal!.role, kind: principal!.kind, via: principal!.via,
  }));
}
