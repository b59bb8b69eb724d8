import { Counter, Gauge } from 'prom-client';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import type { AlertKind } from '../alerts/alert-rules.js';
import type { NotificationsConfig, NotificationType, WebhookConfig } from '../config/notify-config.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { StoreRepositories } from '../store/store-port.js';
import type { QueuedNotification } from '../store/webhook-queue-repository.js';
import { backoffMs, signBody, wants, webhookBody } from './webhook-message.js';

export interface NotifierOptions {
  config: NotificationsConfig;
  queue: StoreRepositories['webhooks'];
  metrics: CollectorMetrics;
  log: Logger;
  clock: () => number;
  /** A target failed failingAfterAttempts times in a row / delivered again. */
  onFailing(target: string, details: Record<string, unknown>): void;
  onRecovered(target: string): void;
  /** Where secretEnv is looked up (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Each target's HMAC key: `secret`, or the variable `secretEnv` names; a named variable that is unset is a config error. */
function secretsOf(webhooks: readonly WebhookConfig[], env: NodeJS.ProcessEnv): Map<string, string | undefined> {
  return new Map(webhooks.map((t, i) => {
    if (!t.secretEnv) return [t.name, t.secret];
    const v = env[t.secretEnv];
    if (!v || v.length < 16) throw new AppError('CONFIG_INVALID', `notifications.webhooks.${i}.secretEnv: environment variable ${t.secretEnv} is ${v ? 'shorter than 16 characters' : 'not set'}`);
    return [t.name, v];
  }));
}

/**
 * Webhook notifications from a persistent queue (the webhook_queue table):
 * notify() only inserts rows, so it never waits on a receiver; a pump sends
 * each target's rows oldest first, one at a time, retrying with exponential
 * backoff until the target answers 2xx. Rows survive a restart; a clean stop
 * lets deliveries in flight finish, so nothing delivered is sent again.
 */
export function createWebhookNotifier(o: NotifierOptions) {
  const { config, queue, clock } = o;
  const log = o.log.child({ component: 'webhooks' });
  const targets = new Map(config.webhooks.map((t) => [t.name, t]));
  const secrets = secretsOf(config.webhooks, o.env ?? process.env);
  const inFlight = new Map<string, Promise<void>>();
  const failing = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  const deliveries = new Counter({ name: 'hashwatt_webhook_deliveries_total', help: 'Webhook delivery attempts by target and result (delivered, failed)', labelNames: ['target', 'result'], registers: [o.metrics.registry] });
  for (const t of targets.keys()) for (const result of ['delivered', 'failed']) deliveries.inc({ target: t, result }, 0);
  new Gauge({
    name: 'hashwatt_webhook_queue_depth', help: 'Notifications waiting for delivery, by target', labelNames: ['target'], registers: [o.metrics.registry],
    async collect() {
      const depth = new Map((await queue.depth()).map((d) => [d.target, d.queued]));
      for (const t of targets.keys()) this.set({ target: t }, depth.get(t) ?? 0);
    },
  });
  new Gauge({
    name: 'hashwatt_webhook_target_failing', help: '1 while a webhook target has failed failingAfterAttempts times in a row', labelNames: ['target'], registers: [o.metrics.registry],
    collect() {
      for (const t of targets.keys()) this.set({ target: t }, failing.has(t) ? 1 : 0);
    },
  });

  async function send(target: WebhookConfig, row: QueuedNotification): Promise<void> {
    const headers: Record<string, string> = {
      ...target.headers, 'content-type': 'application/json', 'user-agent': 'hashwatt-collector',
      'x-hashwatt-event': row.type, 'x-hashwatt-delivery': String(row.id),
      ...(secrets.get(target.name) ? { 'x-hashwatt-signature': signBody(secrets.get(target.name)!, row.body) } : {}),
    };
    let error: string | undefined;
    try {
      const res = await fetch(target.url, { method: 'POST', headers, body: row.body, signal: AbortSignal.timeout(target.timeoutS * 1000), redirect: 'error' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      error = e.cause?.code ?? e.cause?.message ?? e.message;
    }
    if (error === undefined) {
      await queue.delivered(row.id);
      deliveries.inc({ target: target.name, result: 'delivered' });
      if (failing.delete(target.name)) log.info({ target: target.name }, 'webhook target delivering again');
      // Also after a restart, when its alert is open but this process never saw it fail.
      o.onRecovered(target.name);
      return;
    }
    const failures = row.attempts + 1;
    const next = clock() + backoffMs(failures, config.initialBackoffS, config.maxBackoffS);
    await queue.failed(row.id, next, error);
    deliveries.inc({ target: target.name, result: 'failed' });
    log.warn({ target: target.name, type: row.type, attempts: failures, error, retryInMs: next - clock() }, 'webhook delivery failed');
    if (failures >= config.failingAfterAttempts && !failing.has(target.name)) {
      failing.add(target.name);
      o.onFailing(target.name, { url: redact(target.url), attempts: failures, lastError: error, since: row.createdAt });
    }
  }

  /** Delivers the target's head row if it is due; true when one was attempted. */
  async function deliverHead(target: WebhookConfig): Promise<boolean> {
    let row: QueuedNotification | undefined;
    try {
      row = await queue.head(target.name);
    } catch (err) {
      log.error({ err }, 'webhook queue unreadable');
      return false;
    }
    if (!row || row.nextAttemptAt > clock()) return false;
    await send(target, row);
    return true;
  }

  /** Starts a delivery for every target that has a due row and none in flight. */
  function pump(): void {
    if (stopped) return;
    for (const target of targets.values()) {
      if (inFlight.has(target.name)) continue;
      // In flight from the moment the head is read, so a second pump cannot send the same row.
      let attempted = false;
      const p = deliverHead(target)
        .then((sent) => { attempted = sent; })
        .catch((err: unknown) => log.error({ err, target: target.name }, 'webhook delivery crashed'))
        .finally(() => {
          inFlight.delete(target.name);
          if (attempted) setImmediate(pump); // the next row of this target, without waiting for the timer
        });
      inFlight.set(target.name, p);
    }
  }

  return {
    /** Queues a notification for every target that wants it; a database insert, nothing more. */
    notify(type: NotificationType, data: unknown, alertKind?: AlertKind): void {
      const to = [...targets.values()].filter((t) => wants(t, type, alertKind)).map((t) => t.name);
      if (!to.length) return;
      queue.enqueue(to, type, webhookBody(type, data, clock()), clock()).then(
        () => setImmediate(pump),
        (err: unknown) => log.error({ err, type }, 'webhook notification could not be queued'),
      );
    },
    /**
     * Delivers while this collector leads: every collector queues notifications in the
     * store, one delivers them (two pumps would send a row twice).
     */
    async lead(signal: AbortSignal): Promise<void> {
      for (const d of await queue.depth()) {
        if (targets.has(d.target)) continue;
        const n = await queue.dropTarget(d.target);
        log.warn({ target: d.target, dropped: n }, 'webhook target no longer configured; its queued notifications dropped');
      }
      if (signal.aborted) return;
      stopped = false;
      pump();
      timer = setInterval(pump, config.pollMs);
      signal.addEventListener('abort', () => {
        stopped = true;
        if (timer) clearInterval(timer);
        timer = undefined;
      }, { once: true });
    },
    /** Stops pumping and waits for deliveries in flight (each bounded by its timeout). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.all(inFlight.values());
    },
  };
}
export type WebhookNotifier = ReturnType<typeof createWebhookNotifier>;

/** A URL for logs and alerts: no credentials, no query (either may hold a key). */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
