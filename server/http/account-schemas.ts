import { z } from 'zod';
import { IdSchema } from '../../shared/protocol/ids.js';
import { UsernameSchema } from '../auth/user-service.js';
import { RoleSchema } from '../config/collector-config.js';
import { ACTOR_KINDS } from '../store/audit-repository.js';

/** Request and response shapes of sign-in, users, tokens and the audit log (OpenAPI is generated from these). */

const Password = z.string().min(1).max(1024);
export const SignInSchema = z.object({ username: z.string().min(1).max(64), password: Password });
export const SignedOutSchema = z.object({ signedOut: z.literal(true) });

export const UserParamsSchema = z.object({ username: UsernameSchema });
export const TokenParamsSchema = z.object({ username: UsernameSchema, id: z.coerce.number().int().positive() });
export const UserCreateSchema = z.object({
  username: UsernameSchema, role: RoleSchema,
  password: Password.optional().describe('for dashboard sign-in; at least 10 characters. Leave out for a token-only account'),
});
export const UserUpdateSchema = z.object({
  role: RoleSchema.optional(), password: Password.optional().describe('a new password; ends the user\'s sessions'),
  disabled: z.boolean().optional().describe('true: ends sessions and revokes every token; the user stays, so the audit log keeps the name'),
});
export const TokenCreateSchema = z.object({ label: z.string().min(1).max(100).default('api').describe('what the token is for (a script, a laptop)') });

export const UserTokenSchema = z.object({ id: z.number(), label: z.string(), createdAt: z.number(), lastUsedAt: z.number().nullable(), revokedAt: z.number().nullable() });
export const UserSchema = z.object({
  username: z.string(), role: RoleSchema, hasPassword: z.boolean(), disabled: z.boolean(), createdAt: z.number(), updatedAt: z.number(),
  tokens: z.array(UserTokenSchema),
});
export const NewTokenSchema = UserTokenSchema.extend({ username: z.string(), token: z.string().describe('the secret, shown this once; only its sha256 is stored') });

const msOrIso = z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true })]);
export const AuditQuerySchema = z.object({
  site: IdSchema.optional(),
  actor: z.string().max(64).optional().describe('a username, service token name, compliance, …'),
  action: z.string().max(64).optional().describe('an action (event.create) or a prefix ending in a dot (event.)'),
  from: msOrIso.optional(),
  to: msOrIso.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
  format: z.enum(['json', 'csv']).optional().describe('csv also with Accept: text/csv'),
});
export const AuditEntrySchema = z.object({
  id: z.number(), ts: z.number(),
  actorKind: z.enum(ACTOR_KINDS).describe('user, service (a YAML token), compliance (auto-enforcement), cli (hashwatt users on the host), system'),
  actor: z.string(), ip: z.string().nullable(), action: z.string(), site: z.string().nullable(), target: z.string().nullable().describe('event id, username, site id'),
  before: z.unknown().describe('the state before (null for a creation)'), after: z.unknown().describe('the state after'),
});
