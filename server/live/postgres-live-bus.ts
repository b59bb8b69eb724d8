import postgres from 'postgres';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import { defaultHolderId } from '../cluster/postgres-leader-lease.js';
import type { LiveBus, LiveBusConsumer, LiveChange, ResyncReason } from './live-bus.js';
import { decodeMessage, splitIntoPayloads } from './live-bus-codec.js';

export interface PostgresLiveBusOptions {
  /** The store's database: NOTIFY reaches only sessions of the same database. */
  url: string;
  log: Logger;
  /** Defaults to host:pid:random, like the leader lease holder. */
  instanceId?: string;
  channel?: string;
  /** Shown in pg_stat_activity for the bus's connection. */
  applicationName?: string;
  /** Payload limit in bytes; PostgreSQL's 8000 unless a test wants smaller messages. */
  limitBytes?: number;
  /** Messages waiting to be sent at most; past it a commit's changes are dropped (peers see the gap and resync). */
  maxPending?: number;
}

export const LIVE_BUS_CHANNEL = 'hashwatt_live';
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/** `onnotify` is the client option its own sql.listen() is built on; its typings leave it out. */
type NotifyingOptions = postgres.Options<Record<string, postgres.PostgresType>> & { onnotify(channel: string, payload: string): void };

export function createPostgresLiveBus(options: PostgresLiveBusOptions): LiveBus {
  return new PostgresLiveBus(options);
}

/**
 * LISTEN/NOTIFY on one channel over one connection of its own (a pooled
 * connection would hand the LISTEN to whichever query comes next). It owns the
 * connection's life rather than using the client's sql.listen(): when that one's
 * re-LISTEN is refused (the database down or restarting), it stops delivering
 * without a word (postgres 3.4.10: its reconnect swallows the error). Here a
 * failed LISTEN is retried until it works. Publishing goes through the same
 * connection, one commit at a time, so a collector's messages commit, and
 * arrive, in order (PostgreSQL delivers in commit order).
 */
class PostgresLiveBus implements LiveBus {
  readonly kind = 'postgres' as const;
  readonly instanceId: string;
  private readonly log: Logger;
  private readonly channel: string;
  private sql: postgres.Sql<Record<string, unknown>> | undefined;
  private consumer: LiveBusConsumer | undefined;
  private nextSeq = 0;
  /** Last sequence number seen per peer, to notice a lost message. */
  private readonly lastSeqFrom = new Map<string, number>();
  private sending: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;
  /** Set once the first LISTEN worked: a connection that closes before that is start()'s failure, not an outage. */
  private listened = false;
  private relistening: Promise<void> | undefined;
  private sendFailuresInARow = 0;

  constructor(private readonly options: PostgresLiveBusOptions) {
    this.instanceId = options.instanceId ?? defaultHolderId();
    this.channel = options.channel ?? LIVE_BUS_CHANNEL;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new AppError('CONFIG_INVALID', `live-bus channel ${JSON.stringify(this.channel)}: use a-z, 0-9 and _ (at most 63)`);
    this.log = options.log.child({ component: 'live-bus', instance: this.instanceId });
  }

  async start(consumer: LiveBusConsumer): Promise<void> {
    if (this.sql) throw new AppError('CONFLICT', 'the live bus is already started');
    this.consumer = consumer;
    const clientOptions: NotifyingOptions = {
      max: 1,
      // The default recycles a connection after 30-60 min: each recycle would drop the LISTEN and force a resync.
      max_lifetime: null,
      fetch_types: false,
      connect_timeout: 10,
      onnotice: () => undefined,
      connection: { application_name: this.options.applicationName ?? 'hashwatt-live-bus' },
      onnotify: (channel, payload) => this.received(channel, payload),
      onclose: () => this.connectionClosed(),
    };
    this.sql = postgres(this.options.url, clientOptions);
    try {
      await this.listen();
      this.listened = true;
    } catch (err) {
      this.closed = true;
      await this.sql.end({ timeout: 1 }).catch(() => undefined);
      throw new AppError('UNREACHABLE', `live bus cannot LISTEN on ${this.channel}: ${(err as Error).message}`, { cause: err });
    }
    this.log.info({ channel: this.channel }, 'live bus listening');
  }

  publish(changes: LiveChange[]): Promise<void> {
    if (this.closed || !this.sql || changes.length === 0) return Promise.resolve();
    const { payloads, tooLarge } = splitIntoPayloads(changes, { from: this.instanceId, firstSeq: this.nextSeq, ...(this.options.limitBytes ? { limitBytes: this.options.limitBytes } : {}) });
    for (const c of tooLarge) this.log.warn({ kind: c.kind }, 'live change too large for one notification; peers do not see it');
    // Sequence numbers are taken even when the messages are dropped below: the gap makes peers resync.
    this.nextSeq += payloads.length;
    if (this.pending + payloads.length > (this.options.maxPending ?? 1000)) {
      this.log.warn({ messages: payloads.length, pending: this.pending }, 'live bus behind; dropping a commit\'s changes (peers resync)');
      return Promise.resolve();
    }
    this.pending += payloads.length;
    const sent = this.sending.then(() => this.send(payloads)).finally(() => (this.pending -= payloads.length));
    this.sending = sent;
    return sent;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // End first: during an outage a send or a LISTEN waits for the connection, which may never come back.
    await this.sql?.end({ timeout: 1 });
    await Promise.allSettled([this.sending, this.relistening]);
  }

  private async listen(): Promise<void> {
    await this.sql!.unsafe(`LISTEN "${this.channel}"`);
  }

  /** All of one commit's messages in one transaction: peers get them together, in order. */
  private async send(payloads: string[]): Promise<void> {
    const sql = this.sql!;
    try {
      if (payloads.length === 1) await sql`SELECT pg_notify(${this.channel}, ${payloads[0]!})`;
      else {
        await sql.begin(async (tx) => {
          for (const p of payloads) await tx`SELECT pg_notify(${this.channel}, ${p})`;
        });
      }
      if (this.sendFailuresInARow > 0) this.log.info({ failures: this.sendFailuresInARow }, 'live bus sends again');
      this.sendFailuresInARow = 0;
    } catch (err) {
      // One warning per outage; the rest at debug level.
      if (this.sendFailuresInARow++ === 0) this.log.warn({ err }, 'live bus could not send; peers resync when the next message shows the gap');
      else this.log.debug({ err }, 'live bus could not send');
    }
  }

  private received(channel: string, payload: string): void {
    if (channel !== this.channel || !this.consumer) return;
    let message;
    try {
      message = decodeMessage(payload);
    } catch (err) {
      this.log.warn({ err }, 'ignoring a malformed live-bus message');
      return;
    }
    if (message.from === this.instanceId) return;
    const last = this.lastSeqFrom.get(message.from);
    this.lastSeqFrom.set(message.from, message.seq);
    this.deliver(() => this.consumer!.onChanges(message.changes, message.from));
    if (last !== undefined && message.seq !== last + 1) {
      this.log.warn({ from: message.from, expected: last + 1, got: message.seq }, 'live-bus messages from a peer were lost; resyncing');
      this.resync('gap');
    }
  }

  private connectionClosed(): void {
    if (this.closed || !this.listened || this.relistening) return;
    this.log.warn('live bus connection closed; listening again');
    this.relistening = this.relisten().finally(() => (this.relistening = undefined));
  }

  /** LISTEN again until it works; what was sent meanwhile is lost, so the consumer resyncs. */
  private async relisten(): Promise<void> {
    const downSince = Date.now();
    let delay = RETRY_MIN_MS;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.listen();
        this.log.info({ attempts: attempt, downMs: Date.now() - downSince }, 'live bus listening again');
        this.lastSeqFrom.clear();
        this.resync('reconnected');
        return;
      } catch (err) {
        if (attempt === 1) this.log.warn({ err }, 'live bus cannot LISTEN yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  private resync(reason: ResyncReason): void {
    this.deliver(() => this.consumer?.onResync(reason));
  }

  /** A consumer's failure is its own: it must not break the connection's notification handling. */
  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'live-bus consumer failed');
    }
  }
}
