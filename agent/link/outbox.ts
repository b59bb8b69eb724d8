import type { Logger } from '../../shared/log/logger.js';
import { agentTopic, encode, type ControlReport, type Telemetry } from '../../shared/protocol/index.js';
import type { OutboxKind, OutboxLimits, OutboxRepository } from '../store/outbox-repository.js';
import type { MqttLink } from './mqtt-link.js';

export type TelemetryBody = Omit<Telemetry, 'v' | 'site' | 'agent' | 'session' | 'seq' | 'historical'>;
export type ReportBody = Omit<ControlReport, 'v' | 'site' | 'agent' | 'ts' | 'session' | 'seq'>;

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
  droppedReport: number;
  publishFailures: number;
}

/**
 * Store-and-forward: a message is written before it is published, goes out
 * live when the link is up, and otherwise waits for the replay pump, which
 * sends the backlog oldest first at a bounded rate (telemetry with
 * `historical: true`). Sent rows without a collector ack are sent again after
 * `ackTimeoutMs`. Control reports share the seq space, so the same acks cover them.
 */
export function createOutbox(options: OutboxOptions) {
  const { repo, link, site, agent, session, log, now } = options;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let tokens = 0;
  let lastRefill = now();
  const stats: OutboxStats = { enqueued: 0, sentLive: 0, replayed: 0, acked: 0, droppedDetail: 0, droppedSample: 0, droppedReport: 0, publishFailures: 0 };
  const inFlight = new Set<Promise<unknown>>();
  const telemetryTopic = agentTopic(site, agent, 'telemetry');
  const reportTopic = agentTopic(site, agent, 'control/report');

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
      if (row.kind === 'report') send(row.session, row.seq, Buffer.from(row.payload), reportTopic);
      else {
        const message = JSON.parse(row.payload) as Record<string, unknown>;
        message.historical = true;
        send(row.session, row.seq, Buffer.from(JSON.stringify(message)), telemetryTopic);
      }
      tokens--;
      stats.replayed++;
    }
  }

  function store(kind: OutboxKind, encoded: { topic: string; payload: Buffer }): number {
    const dropped = repo.add({ session, seq, kind, payload: encoded.payload.toString('utf8'), createdAt: now() }, options.limits);
    stats.enqueued++;
    if (dropped.detail || dropped.sample || dropped.report) {
      stats.droppedDetail += dropped.detail;
      stats.droppedSample += dropped.sample;
      stats.droppedReport += dropped.report;
      log.warn({ droppedDetail: dropped.detail, droppedSample: dropped.sample, droppedReport: dropped.report, limits: options.limits }, 'outbox full, dropped oldest messages');
    }
    if (link.connected) {
      send(session, seq, encoded.payload, encoded.topic);
      stats.sentLive++;
    }
    return seq;
  }

  return {
    /** Stores one telemetry message and sends it now when the link is up. Returns its seq. */
    enqueue(kind: Exclude<OutboxKind, 'report'>, body: TelemetryBody): number {
      seq++;
      return store(kind, encode('telemetry', site, agent, { v: 1 as const, site, agent, session, seq, ...body }));
    },
    /** Stores one control report (next seq of the session) and sends it now when the link is up. */
    enqueueReport(body: ReportBody): number {
      seq++;
      return store('report', encode('control/report', site, agent, { v: 1 as const, site, agent, ts: now(), ...body, session, seq }));
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
