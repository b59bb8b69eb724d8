import { createHmac, randomUUID } from 'node:crypto';
import type { NotificationType, WebhookConfig } from '../config/notify-config.js';

/** The JSON body every webhook receives (docs/notifications.md). */
export interface WebhookMessage {
  /** Unique per notification: a receiver that sees an id twice (after a crash mid-delivery) can drop the copy. */
  id: string;
  type: NotificationType;
  /** When the collector raised it, ms since the epoch. */
  ts: number;
  data: unknown;
}

export function webhookBody(type: NotificationType, data: unknown, ts: number): string {
  const message: WebhookMessage = { id: randomUUID(), type, ts, data };
  return JSON.stringify(message);
}

/** X-Hashwatt-Signature: `sha256=` + hex HMAC-SHA256 of the exact body bytes with the target's secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Whether a target wants this notification (its types, and for alerts its alert kinds). */
export function wants(target: WebhookConfig, type: NotificationType, alertKind?: string): boolean {
  if (!target.types.includes(type)) return false;
  if (alertKind !== undefined && target.alertKinds && !target.alertKinds.includes(alertKind as never)) return false;
  return true;
}

/** Delay before the next try after `failures` failures in a row: doubling from initial, capped, ±20 % jitter so targets do not retry in step. */
export function backoffMs(failures: number, initialS: number, maxS: number, random = Math.random): number {
  const base = Math.min(maxS, initialS * 2 ** Math.max(0, failures - 1)) * 1000;
  return Math.round(base * (0.8 + 0.4 * random()));
}
