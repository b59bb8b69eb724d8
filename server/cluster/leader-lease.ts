import type { Logger } from '../../shared/log/logger.js';
import type { ClusterConfig } from './cluster-config.js';
import { createPostgresLeaderElection } from './postgres-leader-lease.js';
import { createSingleLeader } from './single-leader.js';

/**
 * One leadership term: who leads under which lease name, and the fencing
 * epoch. A fenced write (fencing.ts) passes the term it believes it holds;
 * the database refuses it once another term has begun.
 */
export interface LeaderTerm {
  readonly name: string;
  readonly holder: string;
  readonly epoch: number;
}

/** Why a term ended: so an operator reading the log knows whether it was planned. */
export type LostReason =
  | 'stopped'
  /** No renewal succeeded in time (database or network trouble): stepped down before the lease could expire. */
  | 'renew-deadline'
  /** The database said the lease is no longer ours (another holder, or it expired). */
  | 'lease-lost';

export interface LeaderEvents {
  gained: [term: LeaderTerm];
  /** The leader renewed its lease (for metrics, and for tests to wait on). */
  renewed: [term: LeaderTerm];
  lost: [term: LeaderTerm, reason: LostReason];
}

/** A listener may be async; a throw or rejection is logged, never breaks the election. */
export type LeaderListener<E extends keyof LeaderEvents> = (...args: LeaderEvents[E]) => void | Promise<void>;

/**
 * Chooses the one collector that does what must happen once: event
 * reconciliation and control publishing, compliance and alert evaluation,
 * rollups, retention. Those jobs start on 'gained' and stop on 'lost'; before
 * each action they check isLeader(), and writes that must not come from a
 * deposed leader are fenced with currentTerm().
 */
export interface LeaderElection {
  on<E extends keyof LeaderEvents>(event: E, listener: LeaderListener<E>): void;
  off<E extends keyof LeaderEvents>(event: E, listener: LeaderListener<E>): void;
  /** This process's id in the lease (host, pid and a random part). */
  readonly holder: string;
  /** Begins competing; resolves after the first attempt (leading or following). */
  start(): Promise<void>;
  /** Stops competing and, when leading, releases the lease so another takes over at its next try. */
  stop(): Promise<void>;
  /** True only while the term is safely inside its lease: checked against the step-down deadline on every call. */
  isLeader(): boolean;
  /** The current term while leading, else undefined. */
  currentTerm(): LeaderTerm | undefined;
  /** The fencing epoch of the current term while leading, else undefined. */
  epoch(): number | undefined;
}

/** Where the lease lives: nowhere for the embedded SQLite store (one process), a row for PostgreSQL. */
export type LeaderElectionBackend =
  | { kind: 'single' }
  /** `url` gets a connection of its own: renewals must not queue behind the store's pool. */
  | { kind: 'postgres'; url: string; holder?: string };

export function createLeaderElection(backend: LeaderElectionBackend, cluster: ClusterConfig, log: Logger): LeaderElection {
  switch (backend.kind) {
    case 'single':
      return createSingleLeader(cluster, log);
    case 'postgres':
      return createPostgresLeaderElection({ url: backend.url, cluster, log, ...(backend.holder === undefined ? {} : { holder: backend.holder }) });
  }
}
