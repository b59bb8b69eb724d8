import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { actorOf } from '../../audit/audit-log.js';
import { clearedSessionCookie, readSessionCookie, sessionCookie } from '../../auth/session-cookie.js';
import { ROLES } from '../../config/collector-config.js';
import { SignedOutSchema, SignInSchema } from '../account-schemas.js';
import { MeSchema } from '../api-schemas.js';
import type { ApiContext } from '../api-context.js';
import type { RouteTable } from '../route-table.js';

/** Dashboard sign-in with a username and password: a session cookie, never a token in the page. */
export function registerSessionRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add(
    {
      method: 'POST', path: '/api/v1/session', roles: [], body: SignInSchema, response: MeSchema,
      errors: { 401: 'wrong username or password (the same answer for an unknown name)', 429: 'too many failed sign-ins; Retry-After says when to try again' },
      summary: `Sign in with a username and password: sets the session cookie (HttpOnly, SameSite=Strict, Secure over TLS). After ${ctx.config.auth.maxFailedSignIns} failures per address or username within ${ctx.config.auth.signInWindowS} s, 429 with Retry-After`,
    },
    async ({ body, req, reply }) => {
      const wait = ctx.signIns.retryAfterS(req.ip, body.username);
      if (wait > 0) {
        void reply.code(429).header('retry-after', String(wait));
        return { error: 'too_many_requests', message: `too many failed sign-ins; try again in ${wait} s` };
      }
      const session = await ctx.users.signIn(body.username, body.password, req.ip, ctx.config.auth.sessionHours * 3_600_000);
      if (!session) {
        ctx.signIns.failed(req.ip, body.username);
        throw new AppError('AUTH_FAILED', 'wrong username or password');
      }
      ctx.signIns.succeeded(body.username);
      void reply.header('set-cookie', sessionCookie(session.sessionId, { maxAgeS: ctx.config.auth.sessionHours * 3600, secure: req.protocol === 'https' }));
      return { name: session.user.username, role: session.user.role, kind: 'user' as const, via: 'session' as const };
    },
  );

  routes.add(
    {
      method: 'GET', path: '/api/v1/session', roles: [], optionalAuth: true, response: z.object({ signedIn: z.boolean(), me: MeSchema.nullable() }),
      summary: 'Whether the caller is signed in (session cookie or token), without a 401 when not: the dashboard asks this on load',
    },
    ({ principal }) => ({ signedIn: !!principal, me: principal ? { name: principal.name, role: principal.role, kind: principal.kind, via: principal.via } : null }),
  );

  routes.add({ method: 'DELETE', path: '/api/v1/session', summary: 'Sign out: ends the session and clears its cookie', roles: ROLES, response: SignedOutSchema }, async ({ req, reply, principal }) => {
    const id = readSessionCookie(req.headers.cookie);
    if (id && principal?.via === 'session') await ctx.users.signOut(id, actorOf(principal, req));
    void reply.header('set-cookie', clearedSessionCookie(req.protocol === 'https'));
    return { signedOut: true as const };
  });
}
