import type { Logger } from '../../shared/log/logger.js';
import { encode, type Telemetry } from '../../shared/protocol/index.js';
import type { OutboxKind, OutboxLimits, OutboxRepository } from '../store/outbox-repository.js';
import type { MqttLink } from './mqtt-link.js';

export type TelemetryBody = Omit<Telemetry, 'v' | 'site' | 'agent' | 'session' | 'seq' | 'historical'>;

export interface OutboxOptions {
  repo: OutboxRepository;
  link: MqttLink;
  site: string;
  agent: string;
  session: number;
  limits: OutboxLimits;
  replayPerSecond: number;
  ackTimeoutMs: number;
  log: Logger;
  now: () => number;
}

export interface OutboxStats {
  enqueued: number;
  sentLive: number;
  replayed: number;
  acked: number;
  droppedDetail: number;
  droppedSample: number;
  publishFailures: number;
}

/**
 * Store-and-forward: a message is written before it is published, goes out
 * live when the link is up, and otherwise waits for the replay pump, which
 * sends the backlog oldest first at a bounded rate with `historical: true`.
 * Sent rows without a collector ack are sent again after `ackTimeoutMs`.
 */
export function createOutbox(options: OutboxOptions) {
  const { repo, link, site, agent, session, log, now } = options;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let tokens = 0;
  let lastRefill = now();
  const stats: OutboxStats = { enqueued: 0, sentLive: 0, replayed: 0, acked: 0, droppedDetail: 0, droppedSample: 0, publishFailures: 0 };
  const inFlight = new Set<Promise<unknown>>();

  function send(sessionOf: number, seqOf: number, payload: Buffer, topic: string): void {
    repo.markSent(sessionOf, seqOf, now());
    const p = link
      .publish({ topic, payload, qos: 1, retain: false })
      .catch((err: Error) => {
        stats.publishFailures++;
        log.debug({ err: err.message, session: sessionOf, seq: seqOf }, 'telemetry publish failed');
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  function pump(): void {
    const t = now();
    tokens = Math.min(options.replayPerSecond, tokens + ((t - lastRefill) / 1000) * options.replayPerSecond);
    lastRefill = t;
    if (!link.connected || tokens < 1) return;
    const rows = repo.due(t - options.ackTimeoutMs, Math.floor(tokens));
    for (const row of rows) {
      const message = JSON.parse(row.payload) as Record<string, unknown>;
      message.historical = true;
      const encoded = Buffer.from(JSON.stringify(message));
      send(row.session, row.seq, encoded, `hashwatt/v1/${site}/${agent}/telemetry`);
      tokens--;
      stats.replayed++;
    }
  }

  return {
    /** Stores one telemetry message and sends it now when the link is up. Returns its seq. */
    enqueue(kind: OutboxKind, body: TelemetryBody): number {
      seq++;
      const message = { v: 1 as const, site, agent, session, seq, ...body };
      const encoded = encode('telemetry', site, agent, message);
      const dropped = repo.add({ session, seq, kind, payload: encoded.payload.toString('utf8'), createdAt: now() }, options.limits);
      stats.enqueued++;
      if (dropped.detail || dropped.sample) {
        stats.droppedDetail += dropped.detail;
        stats.droppedSample += dropped.sample;
        log.warn({ droppedDetail: dropped.detail, droppedSample: dropped.sample, limits: options.limits }, 'outbox full, dropped oldest messages');
      }
      if (link.connected) {
        send(session, seq, encoded.payload, encoded.topic);
        stats.sentLive++;
      }
      return seq;
    },
    /** A collector ack: everything up to seq of that session (which may be an older one) is committed. */
    ack(ackSession: number, ackSeq: number): void {
      const n = repo.ack(ackSession, ackSeq);
      stats.acked += n;
    },
    /** What was in flight on a lost connection may never have arrived: replay it. */
    connectionLost(): void {
      repo.markAllUnsent();
    },
    start(): void {
      const periodMs = Math.max(20, Math.min(250, 1000 / options.replayPerSecond));
      lastRefill = now();
      timer = setInterval(pump, periodMs);
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 2000))]);
    },
    depth: () => repo.depth(),
    stats: () => ({ ...stats }),
    get seq() {
      return seq;
    },
  };
}
export type Outbox = ReturnType<typeof createOutbox>;
