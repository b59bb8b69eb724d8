import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { Role } from '../config/collector-config.js';
import type { UserRepository, UserRow, UserTokenRow } from '../store/user-repository.js';
import { hashPassword, passwordProblem, verifyPassword } from './password-hash.js';
import { newApiToken, newSessionId, sha256Hex } from './secrets.js';

export const UsernameSchema = z.string().regex(/^[a-z0-9][a-z0-9._@-]{0,63}$/, 'lower-case letters, digits, . _ @ - (at most 64), starting with a letter or digit');

export interface UserWithTokens extends UserRow {
  tokens: UserTokenRow[];
}

/** What the audit log shows of a user: never a hash. */
const userFacts = (u: UserRow) => ({ username: u.username, role: u.role, hasPassword: u.hasPassword, disabled: u.disabledAt !== null });
const tokenFacts = (t: UserTokenRow) => ({ id: t.id, label: t.label, revoked: t.revokedAt !== null });

/**
 * Users, their tokens and sign-in: one place for the API and `hashwatt
 * users`, and every change is an audit entry in the same step.
 */
export function createUserService(o: { users: UserRepository; audit: AuditLog; clock: () => number; transaction<T>(fn: () => T): T }) {
  const { users, audit, clock } = o;

  const mustGet = (username: string): UserRow => {
    const u = users.get(username);
    if (!u) throw new AppError('NOT_FOUND', `no user ${username}`);
    return u;
  };
  const checkPassword = (password: string) => {
    const problem = passwordProblem(password);
    if (problem) throw new AppError('USAGE', problem);
  };
  const tokenOf = (u: UserRow, id: number): UserTokenRow => {
    const t = users.token(id);
    if (!t || t.userId !== u.id) throw new AppError('NOT_FOUND', `user ${u.username} has no token ${id}`);
    return t;
  };

  return {
    list(): UserWithTokens[] {
      return users.list().map((u) => ({ ...u, tokens: users.tokens(u.id) }));
    },
    get(username: string): UserWithTokens {
      const u = mustGet(username);
      return { ...u, tokens: users.tokens(u.id) };
    },
    async create(input: { username: string; role: Role; password?: string | undefined }, actor: Actor): Promise<UserWithTokens> {
      const name = UsernameSchema.safeParse(input.username);
      if (!name.success) throw new AppError('USAGE', `username ${JSON.stringify(input.username)}: ${name.error.issues[0]?.message}`);
      if (input.password !== undefined) checkPassword(input.password);
      const hash = input.password === undefined ? null : await hashPassword(input.password);
      return o.transaction(() => {
        if (users.get(input.username)) throw new AppError('CONFLICT', `user ${input.username} exists`);
        const u = users.create({ username: input.username, role: input.role, passwordHash: hash }, clock());
        audit.record(actor, 'user.create', { target: u.username, after: userFacts(u) });
        return { ...u, tokens: [] };
      });
    },
    async update(username: string, change: { role?: Role | undefined; password?: string | undefined; disabled?: boolean | undefined }, actor: Actor): Promise<UserWithTokens> {
      if (change.password !== undefined) checkPassword(change.password);
      const hash = change.password === undefined ? undefined : await hashPassword(change.password);
      return o.transaction(() => {
        const before = mustGet(username);
        const now = clock();
        if (change.role !== undefined && change.role !== before.role) users.setRole(before.id, change.role, now);
        if (hash !== undefined) users.setPassword(before.id, hash, now);
        if (change.disabled !== undefined && change.disabled !== (before.disabledAt !== null)) users.setDisabled(before.id, change.disabled, now);
        const after = mustGet(username);
        audit.record(actor, 'user.update', { target: username, before: userFacts(before), after: { ...userFacts(after), ...(hash !== undefined ? { passwordChanged: true } : {}) } });
        return { ...after, tokens: users.tokens(after.id) };
      });
    },
    /** A new API token; the secret is in the answer only. */
    addToken(username: string, label: string, actor: Actor): { token: string; row: UserTokenRow } {
      return o.transaction(() => {
        const u = mustGet(username);
        if (u.disabledAt !== null) throw new AppError('CONFLICT', `user ${username} is disabled`);
        const token = newApiToken();
        const row = users.addToken(u.id, label, sha256Hex(token), clock());
        audit.record(actor, 'token.create', { target: username, after: tokenFacts(row) });
        return { token, row };
      });
    },
    /** Revokes a token and issues its replacement under the same label. */
    rotateToken(username: string, tokenId: number, actor: Actor): { token: string; row: UserTokenRow } {
      return o.transaction(() => {
        const u = mustGet(username);
        const old = tokenOf(u, tokenId);
        if (old.revokedAt !== null) throw new AppError('CONFLICT', `token ${tokenId} of ${username} is already revoked`);
        users.revokeToken(old.id, clock());
        const token = newApiToken();
        const row = users.addToken(u.id, old.label, sha256Hex(token), clock());
        audit.record(actor, 'token.rotate', { target: username, before: tokenFacts(old), after: tokenFacts(row) });
        return { token, row };
      });
    },
    revokeToken(username: string, tokenId: number, actor: Actor): UserTokenRow {
      return o.transaction(() => {
        const u = mustGet(username);
        const old = tokenOf(u, tokenId);
        if (old.revokedAt !== null) throw new AppError('CONFLICT', `token ${tokenId} of ${username} is already revoked`);
        users.revokeToken(old.id, clock());
        const row = users.token(old.id)!;
        audit.record(actor, 'token.revoke', { target: username, before: tokenFacts(old), after: tokenFacts(row) });
        return row;
      });
    },
    /** Checks the password; on success starts a session and returns its id (the cookie value). */
    async signIn(username: string, password: string, ip: string, sessionMs: number): Promise<{ sessionId: string; user: UserRow; expiresAt: number } | undefined> {
      const found = users.passwordHash(username);
      const ok = await verifyPassword(password, found?.hash ?? null);
      const actor: Actor = { kind: 'user', name: username, ip };
      if (!ok || !found || found.user.disabledAt !== null) {
        audit.record(actor, 'session.sign_in_failed', { target: username, after: { reason: !found ? 'unknown user' : found.user.disabledAt !== null ? 'disabled' : 'wrong password' } });
        return undefined;
      }
      const sessionId = newSessionId();
      const now = clock();
      users.addSession(sha256Hex(sessionId), found.user.id, now, now + sessionMs, ip);
      audit.record(actor, 'session.sign_in', { target: username });
      return { sessionId, user: found.user, expiresAt: now + sessionMs };
    },
    signOut(sessionId: string, actor: Actor): void {
      users.endSession(sha256Hex(sessionId));
      audit.record(actor, 'session.sign_out', { target: actor.name });
    },
  };
}
export type UserService = ReturnType<typeof createUserService>;
