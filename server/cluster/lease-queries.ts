import type postgres from 'postgres';
import type { LeaderTerm } from './leader-lease.js';

/**
 * The three statements on the leader_lease row. Every expiry is computed and
 * compared by the database clock (now(), clock_timestamp()), never a
 * collector's: collectors' clocks differ, the database has one.
 *
 * The new expiry uses now(), the statement's start, which is never later
 * than the moment the statement really ran: the lease the database grants is
 * at most as long as asked, which keeps the leader's own step-down deadline
 * (measured from when it sent the statement) before the real expiry.
 */

type Sql = postgres.Sql<Record<string, unknown>>;

/** Takes the lease when it is free or expired; the epoch of the new term, or undefined when someone holds it. */
export async function acquireLease(sql: Sql, name: string, holder: string, ttlS: number): Promise<number | undefined> {
  const rows = await sql<{ epoch: string }[]>`
    INSERT INTO leader_lease AS lease (name, holder, epoch, expires_at)
    VALUES (${name}, ${holder}, 1, now() + make_interval(secs => ${ttlS}))
    ON CONFLICT (name) DO UPDATE
      SET holder = excluded.holder, epoch = lease.epoch + 1, expires_at = excluded.expires_at
      WHERE lease.expires_at <= clock_timestamp()
    RETURNING epoch::text AS epoch`;
  const row = rows[0];
  return row === undefined ? undefined : Number(row.epoch);
}

/** Extends the lease of `term`; false when the term is over (another holder, or it expired first). */
export async function renewLease(sql: Sql, term: LeaderTerm, ttlS: number): Promise<boolean> {
  const rows = await sql`
    UPDATE leader_lease SET expires_at = now() + make_interval(secs => ${ttlS})
    WHERE name = ${term.name} AND holder = ${term.holder} AND epoch = ${term.epoch} AND expires_at > clock_timestamp()
    RETURNING epoch`;
  return rows.length === 1;
}

/** Ends `term` now so a follower takes over at its next try instead of waiting out the lease; a no-op once the term is over. */
export async function releaseLease(sql: Sql, term: LeaderTerm): Promise<void> {
  await sql`
    UPDATE leader_lease SET expires_at = clock_timestamp()
    WHERE name = ${term.name} AND holder = ${term.holder} AND epoch = ${term.epoch} AND expires_at > clock_timestamp()`;
}
