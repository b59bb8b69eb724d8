/**
 * Decides what `telemetry/ack` may say for one agent session. The agent deletes
 * every outbox row ≤ the acked seq, so a seq is acked only when it and every
 * lower seq of the session is committed (now, or earlier: a redelivered
 * duplicate counts, since its first copy is in the database).
 *
 * Gaps: when seq N is missing but higher seqs are committed, acks stop at N-1.
 * The agent replays unacked rows from its outbox, so a gap normally fills by
 * itself. A gap still open after `gapTimeoutMs` means the agent no longer has
 * those rows (its bounded outbox dropped them, or it was reinstalled): it is
 * recorded as a telemetry gap and skipped, so one lost message cannot pin the
 * agent's outbox forever. That is the trade: a gap is visible data, not a hang.
 *
 * With several collectors in a share group, each tracker sees only its share of
 * a session's seqs; `adopt` fills its holes from the store before a gap is declared.
 */
export interface AckState {
  /** Highest seq acked (0: none yet). */
  acked: number;
  /** Committed seqs above `acked`, waiting for a lower one. */
  committed: Set<number>;
  /** When the current gap was first seen. */
  gapSince: number | null;
}

export interface Gap {
  fromSeq: number;
  toSeq: number;
}

export class AckTracker {
  readonly state: AckState;

  constructor(acked = 0, committedAbove: Iterable<number> = [], private readonly gapTimeoutMs = 60_000) {
    this.state = { acked, committed: new Set([...committedAbove].filter((s) => s > acked)), gapSince: null };
    // Not advance(now): there is no "now" yet, and a gap found in the log starts
    // its timeout when this tracker first sees time pass, not at the epoch (that
    // gave up every gap within a second of a collector restart).
    while (this.state.committed.delete(this.state.acked + 1)) this.state.acked++;
  }

  /** Marks seqs as committed; returns the seq to ack (0 when nothing is ackable yet). */
  commit(seqs: Iterable<number>, now: number): number {
    for (const seq of seqs) if (seq > this.state.acked) this.state.committed.add(seq);
    this.advance(now);
    return this.state.acked;
  }

  /**
   * Folds in what the store knows beyond this tracker: seqs another collector of
   * a share group committed, and the ack it persisted (past a gap it gave up on,
   * so that gap is not given up and recorded a second time here). Returns the seq to ack.
   */
  adopt(storedAck: number, seqs: Iterable<number>, now: number): number {
    const s = this.state;
    if (storedAck > s.acked) {
      s.acked = storedAck;
      for (const seq of s.committed) if (seq <= storedAck) s.committed.delete(seq);
    }
    return this.commit(seqs, now);
  }

  /** Skips a gap that outlived the timeout; returns it so it can be recorded. */
  expireGap(now: number): Gap | null {
    const s = this.state;
    if (s.committed.size === 0) return null;
    if (s.gapSince === null) {
      s.gapSince = now;
      return null;
    }
    if (now - s.gapSince < this.gapTimeoutMs) return null;
    const next = Math.min(...s.committed);
    const gap = { fromSeq: s.acked + 1, toSeq: next - 1 };
    s.acked = next - 1;
    s.gapSince = null;
    this.advance(now);
    return gap;
  }

  /** The highest seq known committed for the session (0: none). */
  highest(): number {
    let max = this.state.acked;
    for (const seq of this.state.committed) if (seq > max) max = seq;
    return max;
  }

  hasGap(): boolean {
    return this.state.committed.size > 0;
  }

  private advance(now: number): void {
    const s = this.state;
    while (s.committed.delete(s.acked + 1)) s.acked++;
    if (s.committed.size === 0) s.gapSince = null;
    else s.gapSince ??= now;
  }
}
