import type postgres from 'postgres';
import { AppError } from '../../shared/errors.js';
import type { LeaderTerm } from './leader-lease.js';

interface CurrentLease {
  holder: string;
  epoch: number;
  live: boolean;
}

/** A write refused because the term that asked for it is no longer the lease's current one. */
export class FencedOutError extends AppError {
  override readonly name = 'FencedOutError';

  /** `why` finishes the sentence "… wrote as leader at epoch N, but …". */
  constructor(term: LeaderTerm, why: string, current?: CurrentLease) {
    super('CONFLICT', `fenced out: ${term.holder} wrote as leader of "${term.name}" at epoch ${term.epoch}, but ${why}`, {
      details: { lease: term.name, holder: term.holder, epoch: term.epoch, current },
    });
  }
}

export function isFencedOut(err: unknown): err is FencedOutError {
  return err instanceof FencedOutError;
}

/**
 * Inside the caller's transaction: throws FencedOutError unless `term` is
 * still the lease's holder and epoch and the lease has not expired (by the
 * database clock, at this moment). FOR SHARE keeps the row locked until the
 * caller commits, so no new leader can take over between this check and the
 * commit: the fenced writes land before the next term begins, or not at all.
 * Keep fenced transactions short: the leader's own renewal waits for them too.
 */
export async function assertStillLeader<T extends Record<string, unknown>>(tx: postgres.TransactionSql<T>, term: LeaderTerm): Promise<void> {
  const rows = await tx<{ holder: string; epoch: string; live: boolean }[]>`
    SELECT holder, epoch::text AS epoch, expires_at > clock_timestamp() AS live
    FROM leader_lease WHERE name = ${term.name} FOR SHARE`;
  const row = rows[0];
  const found = row === undefined ? undefined : { holder: row.holder, epoch: Number(row.epoch), live: row.live };
  if (found === undefined) throw new FencedOutError(term, 'no lease exists');
  if (found.holder !== term.holder || found.epoch !== term.epoch || !found.live) {
    throw new FencedOutError(term, `the lease is held by ${found.holder} at epoch ${found.epoch}${found.live ? '' : ' and has expired'}`, found);
  }
}
