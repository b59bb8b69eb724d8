import type { QueuedNotification, WebhookQueueRepository } from '../webhook-queue-repository.js';
import type { AsyncOf } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';
import { pgArray } from './pg-arrays.js';

interface Raw { id: number; target: string; type: string; body: string; created_at: number; attempts: number; next_attempt_at: number; last_error: string | null }
const toRow = (r: Raw): QueuedNotification => ({
  id: r.id, target: r.target, type: r.type, body: r.body, createdAt: r.created_at, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error,
});

/**
 * WebhookQueueRepository on PostgreSQL: one row per notification and target, deleted once the
 * target accepted it, so nothing queued is lost and nothing delivered is sent again.
 */
export function createPgWebhookQueueRepository(sql: PgQueryable): AsyncOf<WebhookQueueRepository> {
  return {
    async enqueue(targets, type, body, now) {
      if (targets.length === 0) return;
      // One statement for all targets: the notification is queued for each or for none.
      await sql`INSERT INTO webhook_queue (target, type, body, created_at, next_attempt_at)
        SELECT t, ${type}, ${body}, ${now}, ${now} FROM unnest(${pgArray(sql, 'text', targets)}) WITH ORDINALITY AS q (t, n) ORDER BY n`;
    },
    async head(target) {
      // Oldest first per target: a target receives its notifications in order.
      const [r] = await sql<Raw[]>`SELECT * FROM webhook_queue WHERE target = ${target} ORDER BY id LIMIT 1`;
      return r && toRow(r);
    },
    async delivered(id) {
      await sql`DELETE FROM webhook_queue WHERE id = ${id}`;
    },
    async failed(id, nextAttemptAt, error) {
      await sql`UPDATE webhook_queue SET attempts = attempts + 1, next_attempt_at = ${nextAttemptAt}, last_error = ${error.slice(0, 500)} WHERE id = ${id}`;
    },
    async depth() {
      const rows = await sql<Array<{ target: string; n: number; oldest: number }>>`SELECT target, COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_queue GROUP BY target`;
      return rows.map((d) => ({ target: d.target, queued: d.n, oldestAt: d.oldest }));
    },
    async dropTarget(target) {
      return (await sql`DELETE FROM webhook_queue WHERE target = ${target}`).count;
    },
  };
}
