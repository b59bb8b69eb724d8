import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CollectorConfig, Role } from '../config/collector-config.js';

export interface Principal {
  name: string;
  role: Role;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Bearer tokens, stored as sha256 in the config: a leaked config does not leak tokens. */
export function createAuthenticator(tokens: CollectorConfig['tokens']) {
  const byHash = new Map(tokens.map((t) => [t.sha256, { name: t.name, role: t.role }]));
  return {
    /** Resolves the caller or answers 401/403 itself (then returns undefined). */
    check(req: FastifyRequest, reply: FastifyReply, roles: readonly Role[], allowQueryToken = false): Principal | undefined {
      const header = req.headers.authorization;
      let token: string | undefined;
      if (typeof header === 'string' && /^Bearer\s+/i.test(header)) token = header.replace(/^Bearer\s+/i, '').trim();
      else if (allowQueryToken) token = (req.query as { token?: string } | undefined)?.token;
      if (!token) {
        void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing bearer token (Authorization: Bearer <token>)' });
        return undefined;
      }
      const principal = byHash.get(hashToken(token));
      if (!principal) {
        void reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ error: 'unauthorized', message: 'unknown token' });
        return undefined;
      }
      if (!roles.includes(principal.role)) {
        void reply.code(403).send({ error: 'forbidden', message: `role ${principal.role} may not do this; needs one of: ${roles.join(', ')}` });
        return undefined;
      }
      return principal;
    },
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
