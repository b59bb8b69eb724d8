import type { AgentRepository } from './agent-repository.js';
import type { AlertRepository } from './alert-repository.js';
import type { AuditRepository } from './audit-repository.js';
import type { CompanyRepository } from './company-repository.js';
import type { EventRepository } from './event-repository.js';
import type { OpenAdrRepository } from './openadr-repository.js';
import type { RollupRepository } from './rollup-repository.js';
import type { SiteRepository } from './site-repository.js';
import type { TelemetryRepository } from './telemetry-repository.js';
import type { WriteBatch } from './telemetry-writer.js';
import type { UserRepository } from './user-repository.js';
import type { ViolationRepository } from './violation-repository.js';
import type { WebhookQueueRepository } from './webhook-queue-repository.js';

/**
 * The storage port: everything the collector stores and reads, behind one async
 * interface with a SQLite (embedded, default) and a PostgreSQL implementation.
 *
 * The method names, arguments and results are those of the synchronous SQLite
 * repositories (server/store/*-repository.ts); only the return value becomes a
 * Promise. So a caller converts by adding `await`, and the SQLite repositories
 * stay the single description of what each method means.
 */
export type AsyncOf<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<Awaited<T>> : never;
};

/** Seqs already stored above `acked` for one session (telemetry and control reports): restores the ack tracker after a restart. */
export interface LoggedSeqs {
  loggedSeqsAbove(agentId: number, session: number, acked: number, limit?: number): Promise<number[]>;
}

export type TelemetryReads = AsyncOf<TelemetryRepository> & LoggedSeqs;

/** One member per repository, as a caller (or a transaction's `tx`) sees them. */
export interface StoreRepositories {
  sites: AsyncOf<SiteRepository>;
  agents: AsyncOf<AgentRepository>;
  telemetry: TelemetryReads;
  rollups: AsyncOf<RollupRepository>;
  events: AsyncOf<EventRepository>;
  violations: AsyncOf<ViolationRepository>;
  openadr: AsyncOf<OpenAdrRepository>;
  companies: AsyncOf<CompanyRepository>;
  users: AsyncOf<UserRepository>;
  audit: AsyncOf<AuditRepository>;
  webhooks: AsyncOf<WebhookQueueRepository>;
  alerts: AsyncOf<AlertRepository>;
}

export type StoreKind = 'sqlite' | 'postgres';

/** What a telemetry batch write returns (the shape server/ingest/ingest-writer.ts already resolves). */
export interface TelemetryWriteResult {
  /** Per row of the batch: 1 new, 0 a redelivery already stored (its content was skipped). */
  fresh: Uint8Array;
  /** Per gap of the batch: 1 recorded, 0 already recorded by another collector of the share group. */
  gapsRecorded: Uint8Array;
  /** Time spent on the write; null when the batch held nothing to write. */
  ms: number | null;
}

/**
 * Where ingest puts telemetry: one WriteBatch (server/store/telemetry-writer.ts)
 * committed at a time, idempotent per (agent, session, seq). Ingest holds a sink,
 * not a database: SQLite's is the writer thread, PostgreSQL's a pooled connection.
 */
export interface TelemetrySink {
  write(batch: WriteBatch): Promise<TelemetryWriteResult>;
  /** Finishes the writes already handed over, then releases what the sink holds. */
  close(): Promise<void>;
}

export interface StorePort extends StoreRepositories {
  readonly kind: StoreKind;
  /**
   * Runs `fn` in one transaction: it commits when `fn` resolves and rolls back when
   * it throws. Inside, use only `tx` (calls through the store itself wait until the
   * transaction is over, so they would never land in it).
   */
  transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T>;
  /** The telemetry write path for ingest; one per collector process. */
  openTelemetrySink(): TelemetrySink;
  /** Bytes the store takes on disk (file or database). */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}
