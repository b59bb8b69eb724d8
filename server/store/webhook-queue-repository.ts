import type { Db } from './database.js';

export interface QueuedNotification {
  id: number;
  target: string;
  type: string;
  body: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

interface Raw { id: number; target: string; type: string; body: string; created_at: number; attempts: number; next_attempt_at: number; last_error: string | null }
const toRow = (r: Raw): QueuedNotification => ({ id: r.id, target: r.target, type: r.type, body: r.body, createdAt: r.created_at, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error });

export type WebhookQueueRepository = ReturnType<typeof createWebhookQueueRepository>;

/**
 * The webhook delivery queue: one row per notification and target, deleted
 * once the target accepted it. Rows survive a restart, so nothing queued is
 * lost and nothing delivered is sent again.
 */
export function createWebhookQueueRepository(db: Db) {
  const insert = db.prepare<[string, string, string, number, number]>('INSERT INTO webhook_queue (target, type, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)');
  // Oldest first per target: a target receives its notifications in order.
  const head = db.prepare<[string], Raw>('SELECT * FROM webhook_queue WHERE target = ? ORDER BY id LIMIT 1');
  const remove = db.prepare<[number]>('DELETE FROM webhook_queue WHERE id = ?');
  const failed = db.prepare<[number, string, number]>('UPDATE webhook_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const depth = db.prepare<[], { target: string; n: number; oldest: number }>('SELECT target, COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_queue GROUP BY target');
  const drop = db.prepare<[string]>('DELETE FROM webhook_queue WHERE target = ?');

  return {
    enqueue(targets: readonly string[], type: string, body: string, now: number): void {
      for (const t of targets) insert.run(t, type, body, now, now);
    },
    head(target: string): QueuedNotification | undefined {
      const r = head.get(target);
      return r && toRow(r);
    },
    delivered(id: number): void {
      remove.run(id);
    },
    failed(id: number, nextAttemptAt: number, error: string): void {
      failed.run(nextAttemptAt, error.slice(0, 500), id);
    },
    depth(): Array<{ target: string; queued: number; oldestAt: number }> {
      return depth.all().map((d) => ({ target: d.target, queued: d.n, oldestAt: d.oldest }));
    },
    /** Drops a target's queue (its config entry was removed). */
    dropTarget(target: string): number {
      return drop.run(target).changes;
    },
  };
}
