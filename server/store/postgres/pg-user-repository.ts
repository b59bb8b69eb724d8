import type { Role } from '../../config/collector-config.js';
import type { UserRepository, UserRow, UserTokenRow } from '../user-repository.js';
import type { AsyncOf } from '../store-port.js';
import { inTransaction, type PgQueryable } from './pg-connect.js';

interface RawUser { id: number; username: string; role: Role; password_hash: string | null; disabled_at: number | null; created_at: number; updated_at: number }
interface RawToken { id: number; user_id: number; label: string; created_at: number; last_used_at: number | null; revoked_at: number | null }

const toUser = (r: RawUser): UserRow => ({
  id: r.id, username: r.username, role: r.role, hasPassword: r.password_hash !== null, disabledAt: r.disabled_at, createdAt: r.created_at, updatedAt: r.updated_at,
});
const toToken = (r: RawToken): UserTokenRow => ({
  id: r.id, userId: r.user_id, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at,
});
const TOKEN_COLUMNS = ['id', 'user_id', 'label', 'created_at', 'last_used_at', 'revoked_at'];

/** UserRepository on PostgreSQL: same methods and results as the SQLite one, each returning a Promise. Secrets arrive hashed. */
export function createPgUserRepository(sql: PgQueryable): AsyncOf<UserRepository> {
  const byName = async (username: string) => (await sql<RawUser[]>`SELECT * FROM users WHERE username = ${username}`)[0];
  return {
    async get(username) {
      const r = await byName(username);
      return r && toUser(r);
    },
    async getById(id) {
      const [r] = await sql<RawUser[]>`SELECT * FROM users WHERE id = ${id}`;
      return r && toUser(r);
    },
    async passwordHash(username) {
      const r = await byName(username);
      return r && { user: toUser(r), hash: r.password_hash };
    },
    async list() {
      return (await sql<RawUser[]>`SELECT * FROM users ORDER BY username`).map(toUser);
    },
    async create(u, now) {
      const [r] = await sql<RawUser[]>`INSERT INTO users (username, role, password_hash, created_at, updated_at)
        VALUES (${u.username}, ${u.role}, ${u.passwordHash}, ${now}, ${now}) RETURNING *`;
      return toUser(r!);
    },
    async setRole(id, role, now) {
      await sql`UPDATE users SET role = ${role}, updated_at = ${now} WHERE id = ${id}`;
    },
    async setPassword(id, hash, now) {
      // A new password ends every session made with the old one.
      await inTransaction(sql, async (tx) => {
        await tx`UPDATE users SET password_hash = ${hash}, updated_at = ${now} WHERE id = ${id}`;
        await tx`DELETE FROM user_sessions WHERE user_id = ${id}`;
      });
    },
    async setDisabled(id, disabled, now) {
      // Disabling ends the user's sessions and revokes every token; the row stays so the audit log keeps its names.
      await inTransaction(sql, async (tx) => {
        await tx`UPDATE users SET disabled_at = ${disabled ? now : null}, updated_at = ${now} WHERE id = ${id}`;
        if (!disabled) return;
        await tx`DELETE FROM user_sessions WHERE user_id = ${id}`;
        await tx`UPDATE user_tokens SET revoked_at = ${now} WHERE user_id = ${id} AND revoked_at IS NULL`;
      });
    },
    async tokens(userId) {
      return (await sql<RawToken[]>`SELECT ${sql(TOKEN_COLUMNS)} FROM user_tokens WHERE user_id = ${userId} ORDER BY id`).map(toToken);
    },
    async token(id) {
      const [r] = await sql<RawToken[]>`SELECT ${sql(TOKEN_COLUMNS)} FROM user_tokens WHERE id = ${id}`;
      return r && toToken(r);
    },
    async addToken(userId, label, sha256, now) {
      const [r] = await sql<RawToken[]>`INSERT INTO user_tokens (user_id, label, sha256, created_at) VALUES (${userId}, ${label}, ${sha256}, ${now}) RETURNING ${sql(TOKEN_COLUMNS)}`;
      return toToken(r!);
    },
    async revokeToken(id, now) {
      return (await sql`UPDATE user_tokens SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL`).count > 0;
    },
    async byToken(sha256, now) {
      const [r] = await sql<Array<RawUser & { token_id: number }>>`SELECT u.*, t.id AS token_id FROM user_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.sha256 = ${sha256} AND t.revoked_at IS NULL AND u.disabled_at IS NULL`;
      if (!r) return undefined;
      // At most one write a minute per token: an API client polling every second must not write every second.
      await sql`UPDATE user_tokens SET last_used_at = ${now} WHERE id = ${r.token_id} AND (last_used_at IS NULL OR last_used_at < ${now - 60_000})`;
      return toUser(r);
    },
    async addSession(sha256, userId, now, expiresAt, ip) {
      await inTransaction(sql, async (tx) => {
        await tx`DELETE FROM user_sessions WHERE expires_at <= ${now}`;
        await tx`INSERT INTO user_sessions (sha256, user_id, created_at, expires_at, ip) VALUES (${sha256}, ${userId}, ${now}, ${expiresAt}, ${ip})`;
      });
    },
    async bySession(sha256, now) {
      const [r] = await sql<RawUser[]>`SELECT u.* FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.sha256 = ${sha256} AND s.expires_at > ${now} AND u.disabled_at IS NULL`;
      return r && toUser(r);
    },
    async endSession(sha256) {
      await sql`DELETE FROM user_sessions WHERE sha256 = ${sha256}`;
    },
  };
}
