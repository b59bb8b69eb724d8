import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { Role } from '../config/collector-config.js';
import type { StorePort, StoreRepositories } from '../store/store-port.js';
import type { UserRow, UserTokenRow } from '../store/user-repository.js';
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
export function createUserService(o: { store: Pick<StorePort, 'users' | 'transaction'>; audit: AuditLog; clock: () => number }) {
  const { store, audit, clock } = o;
  const { users } = store;

  const mustGet = async (users: StoreRepositories['users'], username: string): Promise<UserRow> => {
    const u = await users.get(username);
    if (!u) throw new AppError('NOT_FOUND', `no user ${username}`);
    return u;
  };
  const checkPassword = (password: string) => {
    const problem = passwordProblem(password);
    if (problem) throw new AppError('USAGE', problem);
  };
  const tokenOf = async (users: StoreRepositories['users'], u: UserRow, id: number): Promise<UserTokenRow> => {
    const t = await users.token(id);
    if (!t || t.userId !== u.id) throw new AppError('NOT_FOUND', `user ${u.username} has no token ${id}`);
    return t;
  };

  return {
    async list(): Promise<UserWithTokens[]> {
      const out: UserWithTokens[] = [];
      for (const u of await users.list()) out.push({ ...u, tokens: await users.tokens(u.id) });
      return out;
    },
    async get(username: string): Promise<UserWithTokens> {
      const u = await mustGet(users, username);
      return { ...u, tokens: await users.tokens(u.id) };
    },
    async create(input: { username: string; role: Role; password?: string | undefined }, actor: Actor): Promise<UserWithTokens> {
      const name = UsernameSchema.safeParse(input.username);
      if (!name.success) throw new AppError('USAGE', `username ${JSON.stringify(input.username)}: ${name.error.issues[0]?.message}`);
      if (input.password !== undefined) checkPassword(input.password);
      const hash = input.password === undefined ? null : await hashPassword(input.password);
      return store.transaction(async (tx) => {
        if (await tx.users.get(input.username)) throw new AppError('CONFLICT', `user ${input.username} exists`);
        const u = await tx.users.create({ username: input.username, role: input.role, passwordHash: hash }, clock());
        await audit.record(actor, 'user.create', { target: u.username, after: userFacts(u) }, tx);
        return { ...u, tokens: [] };
      });
    },
    async update(username: string, change: { role?: Role | undefined; password?: string | undefined; disabled?: boolean | undefined }, actor: Actor): Promise<UserWithTokens> {
      if (change.password !== undefined) checkPassword(change.password);
      const hash = change.password === undefined ? undefined : await hashPassword(change.password);
      return store.transaction(async (tx) => {
        const before = await mustGet(tx.users, username);
        const now = clock();
        if (change.role !== undefined && change.role !== before.role) await tx.users.setRole(before.id, change.role, now);
        if (hash !== undefined) await tx.users.setPassword(before.id, hash, now);
        if (change.disabled !== undefined && change.disabled !== (before.disabledAt !== null)) await tx.users.setDisabled(before.id, change.disabled, now);
        const after = await mustGet(tx.users, username);
        await audit.record(actor, 'user.update', { target: username, before: userFacts(before), after: { ...userFacts(after), ...(hash !== undefined ? { passwordChanged: true } : {}) } }, tx);
        return { ...after, tokens: await tx.users.tokens(after.id) };
      });
    },
    /** A new API token; the secret is in the answer only. */
    addToken(username: string, label: string, actor: Actor): Promise<{ token: string; row: UserTokenRow }> {
      return store.transaction(async (tx) => {
        const u = await mustGet(tx.users, username);
        if (u.disabledAt !== null) throw new AppError('CONFLICT', `user ${username} is disabled`);
        const token = newApiToken();
        const row = await tx.users.addToken(u.id, label, sha256Hex(token), clock());
        await audit.record(actor, 'token.create', { target: username, after: tokenFacts(row) }, tx);
        return { token, row };
      });
    },
    /** Revokes a token and issues its replacement under the same label. */
    rotateToken(username: string, tokenId: number, actor: Actor): Promise<{ token: string; row: UserTokenRow }> {
      return store.transaction(async (tx) => {
        const u = await mustGet(tx.users, username);
        const old = await tokenOf(tx.users, u, tokenId);
        if (old.revokedAt !== null) throw new AppError('CONFLICT', `token ${tokenId} of ${username} is already revoked`);
        await tx.users.revokeToken(old.id, clock());
        const token = newApiToken();
        const row = await tx.users.addToken(u.id, old.label, sha256Hex(token), clock());
        await audit.record(actor, 'token.rotate', { target: username, before: tokenFacts(old), after: tokenFacts(row) }, tx);
        return { token, row };
      });
    },
    revokeToken(username: string, tokenId: number, actor: Actor): Promise<UserTokenRow> {
      return store.transaction(async (tx) => {
        const u = await mustGet(tx.users, username);
        const old = await tokenOf(tx.users, u, tokenId);
        if (old.revokedAt !== null) throw new AppError('CONFLICT', `token ${tokenId} of ${username} is already revoked`);
        await tx.users.revokeToken(old.id, clock());
        const row = (await tx.users.token(old.id))!;
        await audit.record(actor, 'token.revoke', { target: username, before: tokenFacts(old), after: tokenFacts(row) }, tx);
        return row;
      });
    },
    /** Checks the password; on success starts a session and returns its id (the cookie value). */
    async signIn(username: string, password: string, ip: string, sessionMs: number): Promise<{ sessionId: string; user: UserRow; expiresAt: number } | undefined> {
      const found = await users.passwordHash(username);
      const ok = await verifyPassword(password, found?.hash ?? null);
      const actor: Actor = { kind: 'user', name: username, ip };
      if (!ok || !found || found.user.disabledAt !== null) {
        await audit.record(actor, 'session.sign_in_failed', { target: username, after: { reason: !found ? 'unknown user' : found.user.disabledAt !== null ? 'disabled' : 'wrong password' } });
        return undefined;
      }
      const sessionId = newSessionId();
      const now = clock();
      await users.addSession(sha256Hex(sessionId), found.user.id, now, now + sessionMs, ip);
      await audit.record(actor, 'session.sign_in', { target: username });
      return { sessionId, user: found.user, expiresAt: now + sessionMs };
    },
    async signOut(sessionId: string, actor: Actor): Promise<void> {
      await users.endSession(sha256Hex(sessionId));
      await audit.record(actor, 'session.sign_out', { target: actor.name });
    },
  };
}
export type UserService = ReturnType<typeof createUserService>;
