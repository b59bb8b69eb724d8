import type postgres from 'postgres';
import { AppError } from '../../shared/errors.js';
import { assertStillLeader, FencedOutError } from './fencing.js';
import type { LeaderTerm } from './leader-lease.js';

/**
 * Reserves `count` consecutive control revisions for the leader of `term`,
 * inside the caller's transaction (the one that also stores the controls
 * carrying them); returns the first. Agents refuse a revision they have seen,
 * so the counter is global and only moves forward.
 *
 * Two fences: the lease check (a deposed leader is refused), and the epoch
 * kept beside the counter (a reservation never comes from an epoch older than
 * the last one that reserved), so no revision is handed out twice or by a
 * stale leader, even across a takeover.
 */
export async function reserveControlRevisions<T extends Record<string, unknown>>(tx: postgres.TransactionSql<T>, term: LeaderTerm, count = 1): Promise<number> {
  if (!Number.isSafeInteger(count) || count < 1) throw new AppError('USAGE', `control revisions to reserve: expected a whole number ≥ 1, got ${count}`);
  await assertStillLeader(tx, term);
  const rows = await tx<{ last: string }[]>`
    INSERT INTO control_revision AS counter (id, last_revision, epoch) VALUES (true, ${count}, ${term.epoch})
    ON CONFLICT (id) DO UPDATE
      SET last_revision = counter.last_revision + excluded.last_revision, epoch = excluded.epoch
      WHERE counter.epoch <= excluded.epoch
    RETURNING last_revision::text AS last`;
  const row = rows[0];
  if (row === undefined) throw new FencedOutError(term, 'a later epoch has already reserved control revisions');
  return Number(row.last) - count + 1;
}
