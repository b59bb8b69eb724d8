import type { FastifyInstance } from 'fastify';
import type { Logger } from '../shared/log/logger.js';
import type { MqttClient } from '../shared/mqtt/connect.js';
import type { AlertService } from './alerts/alert-service.js';
import { closeCollectorLink } from './broker/collector-link.js';
import type { EmbeddedBroker } from './broker/embedded-broker.js';
import type { EventService } from './events/event-service.js';
import type { Ingest } from './ingest/ingest.js';
import type { StreamHub } from './live/stream-hub.js';
import type { WebhookNotifier } from './notify/webhook-notifier.js';
import type { Ven } from './openadr/ven.js';
import type { RollupQueue } from './pipeline/rollup-queue.js';
import type { StorePort } from './store/store-port.js';
import type { LeaderElection } from './cluster/leader-lease.js';
import type { LiveBus } from './live/live-bus.js';
import type { PeerStream } from './live/peer-stream.js';

/** What the collector's start() brought up so far; each part is set as soon as it exists. */
export interface RunningParts {
  hub?: StreamHub;
  http?: FastifyInstance;
  ven?: Ven;
  ingest?: Ingest;
  alerts?: AlertService;
  events?: EventService;
  notifier?: WebhookNotifier;
  jobs?: { stop(): void };
  rollups?: RollupQueue;
  client?: MqttClient;
  broker?: EmbeddedBroker;
  store?: StorePort;
  election?: LeaderElection;
  /** runWhileLeader detaches. */
  leaderJobs?: Array<() => void>;
  bus?: LiveBus;
  stream?: PeerStream;
}

/**
 * Takes the collector down in dependency order, also after a start() that
 * failed half-way: first nothing new comes in (stream, HTTP, VEN), then ingest
 * commits what it queued (its fan-out still reaches events and alerts), then
 * events wait for the broker to have their controls, then the jobs and a last
 * rollup, then the broker link (offline state first) and the database.
 */
export async function shutDownCollector(parts: RunningParts, log: Logger, clock: () => number): Promise<void> {
  parts.hub?.close();
  if (parts.http) await parts.http.close();
  await parts.ven?.stop();
  await parts.ingest?.stop();
  await parts.alerts?.stop();
  await parts.events?.stop();
  await parts.notifier?.stop();
  // Then leadership (the events issued what was queued, under the term): the leader's jobs stop
  // and the lease is released, so another collector takes over at once.
  for (const detach of parts.leaderJobs ?? []) detach();
  await parts.election?.stop().catch((err: unknown) => log.warn({ err }, 'leader lease not released; another collector takes over when it expires'));
  parts.jobs?.stop();
  if (parts.rollups) {
    await parts.rollups.settle();
    try { await parts.rollups.refreshNow(); } catch (err) { log.warn({ err }, 'final rollup failed'); }
  }
  parts.stream?.flush(); // the events' last changes reach the peers before the bus closes
  await parts.bus?.close();
  await closeCollectorLink(parts.client, parts.broker, clock);
  const store = parts.store;
  parts.store = undefined;
  await store?.close();
}
