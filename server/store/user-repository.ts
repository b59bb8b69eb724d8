import type { Role } from '../config/collector-config.js';
import type { Db } from './database.js';

export interface UserRow {
  id: number;
  username: string;
  role: Role;
  hasPassword: boolean;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface UserTokenRow {
  id: number;
  userId: number;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface RawUser { id: number; username: string; role: Role; password_hash: string | null; disabled_at: number | null; created_at: number; updated_at: number }
interface RawToken { id: number; user_id: number; label: string; created_at: number; last_used_at: number | null; revoked_at: number | null }

const toUser = (r: RawUser): UserRow => ({ id: r.id, username: r.username, role: r.role, hasPassword: r.password_hash !== null, disabledAt: r.disabled_at, createdAt: r.created_at, updatedAt: r.updated_at });
const toToken = (r: RawToken): UserTokenRow => ({ id: r.id, userId: r.user_id, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at });

export type UserRepository = ReturnType<typeof createUserRepository>;

/** All SQL about users, their API tokens and dashboard sessions. Secrets arrive hashed. */
export function createUserRepository(db: Db) {
  const byName = db.prepare<[string], RawUser>('SELECT * FROM users WHERE username = ?');
  const byId = db.prepare<[number], RawUser>('SELECT * FROM users WHERE id = ?');
  const all = db.prepare<[], RawUser>('SELECT * FROM users ORDER BY username');
  const insert = db.prepare<[string, string, string | null, number, number]>('INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
  const setRole = db.prepare<[string, number, number]>('UPDATE users SET role = ?, updated_at = ? WHERE id = ?');
  const setPassword = db.prepare<[string | null, number, number]>('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?');
  const setDisabled = db.prepare<[number | null, number, number]>('UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?');
  const tokensOf = db.prepare<[number], RawToken>('SELECT * FROM user_tokens WHERE user_id = ? ORDER BY id');
  const tokenById = db.prepare<[number], RawToken>('SELECT * FROM user_tokens WHERE id = ?');
  const insertToken = db.prepare<[number, string, string, number]>('INSERT INTO user_tokens (user_id, label, sha256, created_at) VALUES (?, ?, ?, ?)');
  const revokeToken = db.prepare<[number, number]>('UPDATE user_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const revokeAll = db.prepare<[number, number]>('UPDATE user_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');
  const byTokenHash = db.prepare<[string], RawUser & { token_id: number }>(
    `SELECT u.*, t.id AS token_id FROM user_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.sha256 = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL`);
  // At most one write a minute per token: an API client polling every second must not write every second.
  const touchToken = db.prepare<[number, number, number]>('UPDATE user_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');
  const insertSession = db.prepare<[string, number, number, number, string | null]>('INSERT INTO user_sessions (sha256, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)');
  const bySession = db.prepare<[string, number], RawUser>(
    'SELECT u.* FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.sha256 = ? AND s.expires_at > ? AND u.disabled_at IS NULL');
  const deleteSession = db.prepare<[string]>('DELETE FROM user_sessions WHERE sha256 = ?');
  const deleteSessionsOf = db.prepare<[number]>('DELETE FROM user_sessions WHERE user_id = ?');
  const purgeSessions = db.prepare<[number]>('DELETE FROM user_sessions WHERE expires_at <= ?');

  return {
    get(username: string): UserRow | undefined {
      const r = byName.get(username);
      return r && toUser(r);
    },
    getById(id: number): UserRow | undefined {
      const r = byId.get(id);
      return r && toUser(r);
    },
    /** The stored password hash (for verification only). */
    passwordHash(username: string): { user: UserRow; hash: string | null } | undefined {
      const r = byName.get(username);
      return r && { user: toUser(r), hash: r.password_hash };
    },
    list(): UserRow[] {
      return all.all().map(toUser);
    },
    create(u: { username: string; role: Role; passwordHash: string | null }, now: number): UserRow {
      const id = Number(insert.run(u.username, u.role, u.passwordHash, now, now).lastInsertRowid);
      return toUser(byId.get(id)!);
    },
    setRole(id: number, role: Role, now: number): void {
      setRole.run(role, now, id);
    },
    setPassword(id: number, hash: string | null, now: number): void {
      setPassword.run(hash, now, id);
      deleteSessionsOf.run(id);
    },
    /** Disabling ends the user's sessions and revokes every token; the row stays so the audit log keeps its names. */
    setDisabled(id: number, disabled: boolean, now: number): void {
      setDisabled.run(disabled ? now : null, now, id);
      if (disabled) {
        deleteSessionsOf.run(id);
        revokeAll.run(now, id);
      }
    },
    tokens(userId: number): UserTokenRow[] {
      return tokensOf.all(userId).map(toToken);
    },
    token(id: number): UserTokenRow | undefined {
      const r = tokenById.get(id);
      return r && toToken(r);
    },
    addToken(userId: number, label: string, sha256: string, now: number): UserTokenRow {
      const id = Number(insertToken.run(userId, label, sha256, now).lastInsertRowid);
      return toToken(tokenById.get(id)!);
    },
    revokeToken(id: number, now: number): boolean {
      return revokeToken.run(now, id).changes > 0;
    },
    /** The active user owning a live token, or undefined. */
    byToken(sha256: string, now: number): UserRow | undefined {
      const r = byTokenHash.get(sha256);
      if (!r) return undefined;
      touchToken.run(now, r.token_id, now - 60_000);
      return toUser(r);
    },
    addSession(sha256: string, userId: number, now: number, expiresAt: number, ip: string | null): void {
      purgeSessions.run(now);
      insertSession.run(sha256, userId, now, expiresAt, ip);
    },
    bySession(sha256: string, now: number): UserRow | undefined {
      const r = bySession.get(sha256, now);
      return r && toUser(r);
    },
    endSession(sha256: string): void {
      deleteSession.run(sha256);
    },
  };
}
