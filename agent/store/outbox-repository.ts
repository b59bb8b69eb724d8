import type { Db } from './agent-db.js';

/** Dropped in this order when the outbox is full: detail first, control reports last. */
export type OutboxKind = 'sample' | 'detail' | 'report';

export interface OutboxRow {
  session: number;
  seq: number;
  kind: OutboxKind;
  payload: string;
  sends: number;
}

export interface OutboxLimits {
  maxRows: number;
  maxBytes: number;
}

export interface DropReport {
  detail: number;
  sample: number;
  report: number;
}

/**
 * The store-and-forward outbox (docs/protocol.md). Every telemetry message is a row
 * before it is published; a row goes only when a collector ack covers it.
 */
export function createOutboxRepository(db: Db) {
  const insert = db.prepare('INSERT INTO outbox (session, seq, kind, bytes, payload, created_at) VALUES (@session, @seq, @kind, @bytes, @payload, @createdAt)');
  const totals = db.prepare<[], { rows: number; bytes: number | null }>('SELECT count(*) AS rows, sum(bytes) AS bytes FROM outbox');
  const oldestOfKind = db.prepare<[string], { session: number; seq: number; bytes: number }>(
    'SELECT session, seq, bytes FROM outbox WHERE kind = ? ORDER BY session, seq LIMIT 1',
  );
  const remove = db.prepare<[number, number]>('DELETE FROM outbox WHERE session = ? AND seq = ?');
  // Only rows that went out at least once: an ack for seq 20 says nothing about
  // seq 7 that was never sent (a replay is still on its way).
  const ack = db.prepare<[number, number]>('DELETE FROM outbox WHERE session = ? AND seq <= ? AND sends > 0');
  const due = db.prepare<[number, number], OutboxRow>(
    'SELECT session, seq, kind, payload, sends FROM outbox WHERE sent_at IS NULL OR sent_at <= ? ORDER BY session, seq LIMIT ?',
  );
  const markSent = db.prepare<[number, number, number]>('UPDATE outbox SET sent_at = ?, sends = sends + 1 WHERE session = ? AND seq = ?');
  const markUnsent = db.prepare('UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL');
  const oldestCreated = db.prepare<[], { created_at: number }>('SELECT created_at FROM outbox ORDER BY session, seq LIMIT 1');

  return {
    /** Stores one message, first making room under the limits; returns what had to be dropped. */
    add: db.transaction((row: { session: number; seq: number; kind: OutboxKind; payload: string; createdAt: number }, limits: OutboxLimits): DropReport => {
      const bytes = Buffer.byteLength(row.payload);
      const dropped = makeRoomCounted(limits, bytes);
      insert.run({ ...row, bytes });
      return dropped;
    }),
    /** Rows to (re)send: never sent, or sent before `resendBefore` without an ack; oldest first. */
    due: (resendBefore: number, limit: number): OutboxRow[] => due.all(resendBefore, limit),
    markSent: (session: number, seq: number, at: number) => void markSent.run(at, session, seq),
    /** After a lost connection nothing in flight can be trusted to arrive: send it again as a replay. */
    markAllUnsent: () => void markUnsent.run(),
    ack: (session: number, seq: number): number => ack.run(session, seq).changes,
    depth: (): { rows: number; bytes: number; oldestAt: number | null } => {
      const t = totals.get()!;
      return { rows: t.rows, bytes: t.bytes ?? 0, oldestAt: oldestCreated.get()?.created_at ?? null };
    },
  };

  /** Drops until a new row of `bytes` fits: per-miner detail first, then the oldest site samples, then reports. */
  function makeRoomCounted(limits: OutboxLimits, bytes: number): DropReport {
    const dropped: DropReport = { detail: 0, sample: 0, report: 0 };
    const t = totals.get()!;
    let rows = t.rows;
    let usedBytes = t.bytes ?? 0;
    while (rows + 1 > limits.maxRows || usedBytes + bytes > limits.maxBytes) {
      const kind = (['detail', 'sample', 'report'] as const).find((k) => oldestOfKind.get(k));
      if (!kind) break;
      const victim = oldestOfKind.get(kind)!;
      remove.run(victim.session, victim.seq);
      rows--;
      usedBytes -= victim.bytes;
      dropped[kind]++;
    }
    return dropped;
  }
}
export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
