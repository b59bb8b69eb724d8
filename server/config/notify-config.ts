import { z } from 'zod';
import { ALERT_KINDS } from '../alerts/alert-rules.js';

/** What a webhook can be told about (docs/notifications.md describes each payload). */
export const NOTIFICATION_TYPES = ['alert.opened', 'alert.closed', 'event.created', 'event.cancelled', 'violation.opened', 'violation.closed'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const WebhookConfigSchema = z.object({
  /** Names the target in the queue, logs, metrics and its webhook_failing alert. */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (at most 64)'),
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  /** Notification types to send; default all. */
  types: z.array(z.enum(NOTIFICATION_TYPES)).min(1).default([...NOTIFICATION_TYPES]),
  /** For alert.* only these alert kinds; default all. */
  alertKinds: z.array(z.enum([...ALERT_KINDS, 'webhook_failing'])).min(1).optional(),
  /** HMAC-SHA256 key: X-Hashwatt-Signature: sha256=<hex of HMAC(body)>. Prefer secretEnv, which keeps it out of the file. */
  secret: z.string().min(16, 'at least 16 characters').optional(),
  /** Name of an environment variable holding the secret (read at start; the collector refuses to start without it). */
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
  timeoutS: z.number().positive().max(120).default(10),
  /** Extra request headers (an API key the receiver wants). */
  headers: z.record(z.string(), z.string()).default({}),
});
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

export const NotificationsConfigSchema = z.object({
  webhooks: z.array(WebhookConfigSchema).default([]).refine((w) => new Set(w.map((x) => x.name)).size === w.length, 'webhook names must be unique'),
  /** Retries: first after initialBackoffS, doubling (with jitter) up to maxBackoffS; kept until delivered. */
  initialBackoffS: z.number().positive().default(5),
  maxBackoffS: z.number().positive().default(300),
  /** A target with this many failed attempts in a row opens a webhook_failing alert (closed on its next delivery). */
  failingAfterAttempts: z.number().int().positive().default(3),
  /** How often the sender looks for due deliveries. */
  pollMs: z.number().int().positive().default(1000),
});
export type NotificationsConfig = z.infer<typeof NotificationsConfigSchema>;

export const AuthConfigSchema = z.object({
  /** Dashboard sessions last this long after sign-in. */
  sessionHours: z.number().positive().max(24 * 30).default(12),
  /** Failed sign-ins allowed per address and per username within windowS before 429. */
  maxFailedSignIns: z.number().int().positive().default(5),
  signInWindowS: z.number().positive().default(900),
});
export type AuthConfig = z.infer<typeof AuthConfigSchema>;
