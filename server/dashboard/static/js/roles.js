// Who is signed in and what the role may do. The collector enforces roles;
// the dashboard only hides what would be refused anyway (a viewer sees no
// curtail or cancel buttons).

import { get } from './api.js';

export async function whoAmI() {
  const body = await get('/me');
  const role = body.role ?? body.token?.role ?? 'viewer';
  return { role, name: body.name ?? body.token?.name ?? '', via: body.via ?? 'token' };
}

export const canCurtail = (role) => role === 'operator' || role === 'grid' || role === 'admin';
export const canManageUsers = (role) => role === 'admin';
