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
  parts.jobs?.stop();
  if (parts.rollups) {
    await parts.rollups.settle();
    try { await parts.rollups.refreshNow(); } catch (err) { log.warn({ err }, 'final rollup failed'); }
  }
  await closeCollectorLink(parts.client, parts.broker, clock);
  const store = parts.store;
  parts.store = undefined;
  await store?.close();
}
