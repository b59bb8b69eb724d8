import { z } from 'zod';
import { actorOf } from '../../audit/audit-log.js';
import type { UserWithTokens } from '../../auth/user-service.js';
import type { UserTokenRow } from '../../store/user-repository.js';
import { NewTokenSchema, TokenCreateSchema, TokenParamsSchema, UserCreateSchema, UserParamsSchema, UserSchema, UserTokenSchema, UserUpdateSchema } from '../account-schemas.js';
import type { ApiContext } from '../api-context.js';
import type { RouteTable } from '../route-table.js';

const ADMIN = ['admin'] as const;

const tokenView = (t: UserTokenRow) => ({ id: t.id, label: t.label, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt });
export const userView = (u: UserWithTokens) => ({
  username: u.username, role: u.role, hasPassword: u.hasPassword, disabled: u.disabledAt !== null, createdAt: u.createdAt, updatedAt: u.updatedAt,
  tokens: u.tokens.map(tokenView),
});

/** Users and their API tokens; admin only. `hashwatt users` does the same on the collector host. */
export function registerUserRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({ method: 'GET', path: '/api/v1/users', summary: 'Every user with role, state and tokens (never the secrets)', roles: ADMIN, response: z.object({ users: z.array(UserSchema) }) }, async () => ({
    users: (await ctx.users.list()).map(userView),
  }));

  routes.add({ method: 'POST', path: '/api/v1/users', summary: 'Create a user', roles: ADMIN, body: UserCreateSchema, response: UserSchema, status: 201, errors: { 409: 'a user with this name exists' } }, async ({ body, principal, req }) =>
    userView(await ctx.users.create(body, actorOf(principal, req))));

  routes.add({ method: 'GET', path: '/api/v1/users/{username}', summary: 'One user', roles: ADMIN, params: UserParamsSchema, response: UserSchema }, async ({ params }) => userView(await ctx.users.get(params.username)));

  routes.add({ method: 'PUT', path: '/api/v1/users/{username}', summary: 'Change role or password, disable or enable a user', roles: ADMIN, params: UserParamsSchema, body: UserUpdateSchema, response: UserSchema }, async ({ params, body, principal, req }) =>
    userView(await ctx.users.update(params.username, body, actorOf(principal, req))));

  routes.add({ method: 'POST', path: '/api/v1/users/{username}/tokens', summary: 'Issue an API token for the user; the secret is in this answer only', roles: ADMIN, params: UserParamsSchema, body: TokenCreateSchema, response: NewTokenSchema, status: 201, errors: { 409: 'the user is disabled' } }, async ({ params, body, principal, req }) => {
    const { token, row } = await ctx.users.addToken(params.username, body.label, actorOf(principal, req));
    return { username: params.username, token, ...tokenView(row) };
  });

  routes.add({ method: 'POST', path: '/api/v1/users/{username}/tokens/{id}/rotate', summary: 'Revoke a token and issue its replacement (same label); the new secret is in this answer only', roles: ADMIN, params: TokenParamsSchema, response: NewTokenSchema, status: 201, errors: { 409: 'the token is already revoked' } }, async ({ params, principal, req }) => {
    const { token, row } = await ctx.users.rotateToken(params.username, params.id, actorOf(principal, req));
    return { username: params.username, token, ...tokenView(row) };
  });

  routes.add({ method: 'DELETE', path: '/api/v1/users/{username}/tokens/{id}', summary: 'Revoke a token', roles: ADMIN, params: TokenParamsSchema, response: UserTokenSchema, errors: { 409: 'the token is already revoked' } }, async ({ params, principal, req }) =>
    tokenView(await ctx.users.revokeToken(params.username, params.id, actorOf(principal, req))));
}
