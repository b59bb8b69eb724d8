import type { Sample } from '../../shared/protocol/index.js';

/**
 * Live updates across collectors (docs/architecture.md#live-updates-across-collectors).
 * Each collector keeps the live view in memory and feeds it from its own
 * ingest; with shared subscriptions that is only part of the fleet. The bus
 * carries what changed (compact: enough to update a peer's LiveState, never a
 * whole site summary) so every collector's SSE clients see every site.
 */

/** The sample fields the live view shows (LiveState.sample reads these). */
export type LiveSample = Pick<Sample, 'ts' | 'meterKw' | 'meterKwh' | 'minerKw' | 'hashrateThs' | 'counts' | 'revision'>;

/** Which agent: ids are the store's, so they mean the same on every collector of one database. */
interface AgentChange {
  siteId: number;
  agentId: number;
  agent: string;
  /** When the publishing collector heard it (ms since the epoch). */
  at: number;
}

export type LiveChange =
  | (AgentChange & { kind: 'sample'; sample: LiveSample })
  /** Heard from, without a newer sample: keeps the agent online on peers. */
  | (AgentChange & { kind: 'seen' })
  | (AgentChange & { kind: 'state'; online: boolean })
  /** Something else about the site changed (registry edit, birth): peers re-send its summary. */
  | { kind: 'site'; siteId: number }
  | { kind: 'event'; eventId: string }
  /** A hub.now message (audit, violation, alert): forwarded as is. */
  | { kind: 'stream'; type: string; data: unknown };

export type LiveChangeKind = LiveChange['kind'];

/** Why a consumer must rebuild its live view from the store: notifications were (or may have been) lost. */
export type ResyncReason =
  /** The listening connection dropped and is back; what was sent meanwhile never arrived. */
  | 'reconnected'
  /** A peer's sequence skipped: one of its messages failed to send or was dropped under load. */
  | 'gap';

export interface LiveBusConsumer {
  /** A peer's changes, in the order it published them; never this collector's own. */
  onChanges(changes: LiveChange[], from: string): void;
  onResync(reason: ResyncReason): void;
}

export interface LiveBus {
  readonly kind: 'local' | 'postgres';
  /** This collector on the bus; its own messages come back on PostgreSQL and are dropped by this id. */
  readonly instanceId: string;
  /** Starts receiving into `consumer`; resolves once listening. */
  start(consumer: LiveBusConsumer): Promise<void>;
  /**
   * Sends one commit's changes to the peers. Never rejects: a failure is logged
   * and the peers see a gap in this collector's sequence and resync.
   * Resolves when sent (or dropped).
   */
  publish(changes: LiveChange[]): Promise<void>;
  close(): Promise<void>;
}

/** One collector (SQLite, or a PostgreSQL store without peers): nothing to tell anyone. */
export function createLocalLiveBus(): LiveBus {
  return {
    kind: 'local',
    instanceId: 'local',
    start: async () => undefined,
    publish: async () => undefined,
    close: async () => undefined,
  };
}
