import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import postgres from 'postgres';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import { stepDownAfterS, type ClusterConfig } from './cluster-config.js';
import { LeaderEventHub } from './leader-events.js';
import type { LeaderElection, LeaderEvents, LeaderListener, LeaderTerm, LostReason } from './leader-lease.js';
import { acquireLease, releaseLease, renewLease } from './lease-queries.js';

export interface PostgresLeaderElectionOptions {
  /** Connection URL; the election opens one connection of its own for the lease. */
  url: string;
  cluster: ClusterConfig;
  log: Logger;
  /** Id of this process in the lease; unique per process by default. */
  holder?: string;
}

/** Host, pid and a random part: a restarted process with the same pid is a new holder and gets a new epoch. */
export function defaultHolderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function createPostgresLeaderElection(options: PostgresLeaderElectionOptions): LeaderElection {
  return new PostgresLeaderElection(options);
}

type Sql = postgres.Sql<Record<string, unknown>>;

/**
 * A lease row in PostgreSQL. Every `renewS` the leader extends its lease and
 * each follower tries to take an expired one. The leader measures its own
 * deadline from the moment it SENT its last successful renewal, on the local
 * monotonic clock: the database started that lease no earlier, so stepping
 * down `stepDownAfterS` later is still before anyone else can acquire it.
 */
class PostgresLeaderElection implements LeaderElection {
  readonly holder: string;
  private readonly events: LeaderEventHub;
  private readonly log: Logger;
  private readonly renewMs: number;
  private sql: Sql | undefined;
  private term: LeaderTerm | undefined;
  /** performance.now() from which the current term must not act. */
  private actUntil = 0;
  private stepDownTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  /** Attempts failed in a row: the first is a warning, the rest of an outage only debug lines (one every renewS). */
  private failuresInARow = 0;

  constructor(private readonly options: PostgresLeaderElectionOptions) {
    this.holder = options.holder ?? defaultHolderId();
    this.log = options.log.child({ component: 'leader-lease', lease: options.cluster.name, holder: this.holder });
    this.events = new LeaderEventHub(this.log);
    this.renewMs = options.cluster.renewS * 1000;
  }

  on<E extends keyof LeaderEvents>(event: E, listener: LeaderListener<E>): void {
    this.events.on(event, listener);
  }

  off<E extends keyof LeaderEvents>(event: E, listener: LeaderListener<E>): void {
    this.events.off(event, listener);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.tickTimer = setInterval(() => void this.tick(), this.renewMs);
    await this.tick();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.tickTimer);
    await this.inFlight;
    const term = this.term;
    if (term) {
      this.endTerm(term, 'stopped');
      await this.query((sql) => releaseLease(sql, term)).catch((err: unknown) => this.log.warn({ err }, 'could not release the lease; followers take over when it expires'));
    }
    const sql = this.sql;
    this.sql = undefined;
    await sql?.end({ timeout: 1 });
  }

  isLeader(): boolean {
    return this.term !== undefined && performance.now() < this.actUntil;
  }

  currentTerm(): LeaderTerm | undefined {
    return this.isLeader() ? this.term : undefined;
  }

  epoch(): number | undefined {
    return this.currentTerm()?.epoch;
  }

  /** One renewal or acquisition attempt; never two at once, so a slow database cannot pile them up. */
  private tick(): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.inFlight ??= this.attempt().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async attempt(): Promise<void> {
    const term = this.term;
    // Timers can run late (a blocked event loop, a paused process): check the deadline here too.
    if (term && performance.now() >= this.actUntil) return this.stepDown(term, 'renew-deadline');
    const sentAt = performance.now();
    try {
      await (term ? this.renew(term, sentAt) : this.acquire(sentAt));
      if (this.failuresInARow > 0) this.log.info({ failures: this.failuresInARow }, 'lease statements succeed again');
      this.failuresInARow = 0;
    } catch (err) {
      const message = term ? 'lease renewal failed; retrying until the step-down deadline' : 'lease acquisition failed; retrying';
      if (this.failuresInARow++ === 0) this.log.warn({ err, leading: term !== undefined }, message);
      else this.log.debug({ err, failures: this.failuresInARow }, message);
    }
  }

  private async renew(term: LeaderTerm, sentAt: number): Promise<void> {
    const renewed = await this.query((sql) => renewLease(sql, term, this.options.cluster.leaseTtlS));
    if (this.term !== term) return; // stepped down while the answer was on its way
    if (!renewed) return this.stepDown(term, 'lease-lost');
    this.extend(term, sentAt);
    this.events.emit('renewed', term);
  }

  private async acquire(sentAt: number): Promise<void> {
    const { name, leaseTtlS } = this.options.cluster;
    const epoch = await this.query((sql) => acquireLease(sql, name, this.holder, leaseTtlS));
    if (epoch === undefined) return;
    const gained: LeaderTerm = { name, holder: this.holder, epoch };
    if (!this.running) {
      // stop() came while the answer was on its way: give the lease straight back instead of starting a term.
      await this.query((sql) => releaseLease(sql, gained)).catch(() => undefined);
      return;
    }
    this.term = gained;
    this.extend(gained, sentAt);
    this.log.info({ epoch }, 'leadership gained');
    this.events.emit('gained', gained);
  }

  private extend(term: LeaderTerm, sentAt: number): void {
    this.actUntil = sentAt + stepDownAfterS(this.options.cluster) * 1000;
    clearTimeout(this.stepDownTimer);
    this.stepDownTimer = setTimeout(() => this.stepDown(term, 'renew-deadline'), Math.max(0, this.actUntil - performance.now()));
  }

  /** Ends the term while still running; after a missed deadline, also gives the lease back in case the database is only slow. */
  private stepDown(term: LeaderTerm, reason: LostReason): void {
    if (this.term !== term) return;
    this.endTerm(term, reason);
    if (reason === 'renew-deadline') void this.query((sql) => releaseLease(sql, term)).catch(() => undefined);
  }

  private endTerm(term: LeaderTerm, reason: LostReason): void {
    this.term = undefined;
    this.actUntil = 0;
    clearTimeout(this.stepDownTimer);
    if (reason === 'stopped') this.log.info({ epoch: term.epoch }, 'leadership released');
    else this.log.warn({ epoch: term.epoch, reason }, 'leadership lost');
    this.events.emit('lost', term, reason);
  }

  /**
   * Runs one statement with a deadline of one renew interval. A connection
   * that does not answer (a network partition without a reset) is thrown
   * away, so the next attempt opens a fresh one instead of queueing behind it.
   */
  private async query<T>(run: (sql: Sql) => Promise<T>): Promise<T> {
    const sql = (this.sql ??= this.connect());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('TIMEOUT', `PostgreSQL did not answer the lease statement within ${this.renewMs} ms`)), this.renewMs);
    });
    try {
      return await Promise.race([run(sql), timeout]);
    } catch (err) {
      if (err instanceof AppError && err.code === 'TIMEOUT' && this.sql === sql) {
        this.sql = undefined;
        void sql.end({ timeout: 0 }).catch(() => undefined);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private connect(): Sql {
    return postgres(this.options.url, {
      max: 1,
      connect_timeout: Math.max(1, Math.ceil(this.options.cluster.renewS)),
      fetch_types: false,
      onnotice: () => undefined,
      // The server gives up on a statement too (say, one waiting on the row lock a
      // fenced transaction holds), so none runs on after the client stopped waiting.
      connection: { application_name: `hashwatt-lease ${this.holder}`.slice(0, 63), statement_timeout: Math.max(1, Math.floor(this.renewMs * 0.8)) },
    });
  }
}
