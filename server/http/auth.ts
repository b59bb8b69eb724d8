import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CollectorConfig, Role } from '../config/collector-config.js';
import { sha256Hex } from '../auth/secrets.js';
import { readSessionCookie } from '../auth/session-cookie.js';
import type { StoreRepositories } from '../store/store-port.js';

type Users = StoreRepositories['users'];

/**
 * Who is calling: a named user (token or dashboard session) or a service
 * token from the collector YAML. `name` is what the audit log records.
 */
export interface Principal {
  name: string;
  role: Role;
  kind: 'user' | 'service';
  /** How the caller proved it: a bearer token or the dashboard's session cookie. */
  via: 'token' | 'session';
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

/**
 * One way to recognise a caller. Each returns the principal, `invalid` when
 * it saw a credential of its kind that is wrong (401), or undefined when the
 * request carries none of its kind. An OIDC resolver (a verified ID token or
 * an OIDC session) would be one more entry in the list.
 */
export type CredentialResolver = (req: FastifyRequest, allowQueryToken: boolean) => Promise<Principal | 'invalid' | undefined>;

function bearerOf(req: FastifyRequest, allowQueryToken: boolean): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^Bearer\s+/i.test(header)) return header.replace(/^Bearer\s+/i, '').trim();
  if (allowQueryToken) return (req.query as { token?: string } | undefined)?.token;
  return undefined;
}

/** Bearer tokens: service tokens of the YAML (stored as sha256 there), then users' tokens in the database. */
export function bearerResolver(tokens: CollectorConfig['tokens'], users: Users | undefined, clock: () => number): CredentialResolver {
  const byHash = new Map(tokens.map((t) => [t.sha256, { name: t.name, role: t.role }]));
  return async (req, allowQueryToken) => {
    const token = bearerOf(req, allowQueryToken);
    if (!token) return undefined;
    const hash = sha256Hex(token);
    const service = byHash.get(hash);
    if (service) return { ...service, kind: 'service', via: 'token' };
    const user = await users?.byToken(hash, clock());
    if (user) return { name: user.username, role: user.role, kind: 'user', via: 'token' };
    return 'invalid';
  };
}

/** The dashboard's session cookie (set by POST /api/v1/session). */
export function sessionResolver(users: Users, clock: () => number): CredentialResolver {
  return async (req) => {
    const id = readSessionCookie(req.headers.cookie);
    if (!id) return undefined;
    const user = await users.bySession(sha256Hex(id), clock());
    return user ? { name: user.username, role: user.role, kind: 'user', via: 'session' } : 'invalid';
  };
}

/** admin may do everything any role may, and manage users. */
export function roleAllows(role: Role, roles: readonly Role[]): boolean {
  return role === 'admin' || roles.includes(role);
}

export function createAuthenticator(tokens: CollectorConfig['tokens'], options: { users?: Users; clock?: () => number } = {}) {
  const clock = options.clock ?? Date.now;
  const resolvers: CredentialResolver[] = [bearerResolver(tokens, options.users, clock), ...(options.users ? [sessionResolver(options.users, clock)] : [])];
  return {
    /** The caller, if any credential is valid; no reply is sent. */
    async identify(req: FastifyRequest, allowQueryToken = false): Promise<Principal | undefined> {
      for (const resolve of resolvers) {
        const p = await resolve(req, allowQueryToken);
        if (p === 'invalid') return undefined;
        if (p) return p;
      }
      return undefined;
    },
    /** Resolves the caller or answers 401/403 itself (then returns undefined). */
    async check(req: FastifyRequest, reply: FastifyReply, roles: readonly Role[], allowQueryToken = false): Promise<Principal | undefined> {
      let principal: Principal | undefined;
      let invalid = false;
      for (const resolve of resolvers) {
        const p = await resolve(req, allowQueryToken);
        if (p === 'invalid') { invalid = true; break; }
        if (p) { principal = p; break; }
      }
      if (!principal) {
        const message = invalid ? 'unknown or revoked token, or an expired session' : 'missing bearer token (Authorization: Bearer <token>) or session';
        void reply.code(401).header('www-authenticate', invalid ? 'Bearer error="invalid_token"' : 'Bearer').send({ error: 'unauthorized', message });
        return undefined;
      }
      if (!roleAllows(principal.role, roles)) {
        void reply.code(403).send({ error: 'forbidden', message: `role ${principal.role} may not do this; needs one of: ${roles.join(', ')}` });
        return undefined;
      }
      return principal;
    },
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
