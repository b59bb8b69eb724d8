import { MeSchema } from '../api-schemas.js';
import type { RouteTable } from '../route-table.js';

/**
 * Who the bearer token belongs to, so a client (the dashboard) can hide what
 * its role may not do instead of probing with requests that would be refused.
 */
export function registerMeRoute(routes: RouteTable): void {
  routes.add({ method: 'GET', path: '/api/v1/me', summary: 'The caller: the name and role of the bearer token', roles: ['viewer', 'operator', 'grid'], response: MeSchema }, ({ principal }) => ({
    name: principal!.name, role: principal!.role,
  }));
}
