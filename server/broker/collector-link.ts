import { brokerClientOptions } from '../../shared/config/broker-config.js';
import type { Logger } from '../../shared/log/logger.js';
import { coalesceWrites } from '../../shared/mqtt/coalesce-writes.js';
import { backoffDelayMs } from '../../shared/async/backoff.js';
import { brokerNotUp, connectMqtt, type MqttClient } from '../../shared/mqtt/connect.js';
import { COLLECTOR_STATE_TOPIC, decode, encodeCollectorState } from '../../shared/protocol/index.js';
import type { CollectorConfig } from '../config/collector-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';

/** The broker the collector uses: the configured one, or the embedded one it started. */
export interface BrokerEndpoint {
  url: string;
  embedded: EmbeddedBroker | undefined;
}

/** Starts the embedded broker unless an external one is configured. */
export async function openBroker(config: Pick<CollectorConfig, 'broker' | 'embeddedBroker'>, log: Logger): Promise<BrokerEndpoint> {
  if (config.broker) return { url: config.broker.url, embedded: undefined };
  const embedded = await startEmbeddedBroker({ host: config.embeddedBroker.host, port: config.embeddedBroker.port, log });
  return { url: embedded.url, embedded };
}

export interface ConnectCollectorOptions {
  url: string;
  config: Pick<CollectorConfig, 'broker' | 'ingest'>;
  log: Logger;
  clock: () => number;
  /** Attaches message listeners before CONNACK, so a resumed session's queued messages are not missed. */
  beforeConnect(client: MqttClient): void;
}

/**
 * Connects with a persistent session (unless `ingest.sessionExpiryS` is 0, the
 * share group's default) and keeps the retained collector state
 * honest: online on every (re)connect, offline by the Will when the collector
 * vanishes.
 */
export async function connectCollectorClient(options: ConnectCollectorOptions): Promise<MqttClient> {
  const { url, config, log, clock } = options;
  const base = config.broker ? brokerClientOptions(config.broker) : {};
  const clientId = config.broker?.clientId ?? config.ingest.clientId;
  const offline = encodeCollectorState({ v: 1, online: false, ts: clock(), instance: clientId });
  const client = await connectWhenUp(() => connectMqtt({
    // Expiry 0 asks for no session at all: a clean one, also on the MQTT 3.1.1
    // fallback, where a persistent session would never expire. MQTT.js then
    // subscribes again on every reconnect.
    ...base, url, clientId, clean: config.ingest.sessionExpiryS === 0, reconnectPeriod: 1000,
    properties: { sessionExpiryInterval: config.ingest.sessionExpiryS },
    will: { topic: offline.topic, payload: offline.payload, qos: 1, retain: true },
    beforeConnect: options.beforeConnect,
  }), url, log);
  const announce = () => {
    const online = encodeCollectorState({ v: 1, online: true, ts: clock(), instance: clientId });
    client.publish(online.topic, online.payload, { qos: 1, retain: true });
  };
  coalesceWrites(client); // one PUBACK syscall per burst of reports, not per report
  client.on('connect', announce);
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('offline', () => log.warn('mqtt offline; reconnecting'));
  announce();
  if (config.ingest.shareGroup !== undefined) await answerPeersOffline(client, clientId, announce, log);
  return client;
}

/** Clients whose collector is stopping: one that answered a peer's offline after its own would stay "online" retained. */
const closing = new WeakSet<MqttClient>();

/**
 * The collector state is one retained message, and a share group has several
 * collectors: the Will of one that dies (or the last word of one that stops)
 * would tell every agent the collector is offline while the others serve them.
 * So each collector hears the state too and, when another says it is offline,
 * says again that it is online (docs/protocol.md#collector-state).
 */
async function answerPeersOffline(client: MqttClient, clientId: string, announce: () => void, log: Logger): Promise<void> {
  client.on('message', (topic, payload) => {
    if (topic !== COLLECTOR_STATE_TOPIC || payload.length === 0) return;
    const result = decode(topic, payload);
    if (!result.ok || result.message.kind !== 'collector/state') return;
    const { online, instance } = result.message.payload;
    if (online || instance === clientId || closing.has(client)) return;
    log.info({ peer: instance ?? null }, 'another collector of the share group went offline; announcing this one online');
    announce();
  });
  await client.subscribeAsync(COLLECTOR_STATE_TOPIC, { qos: 1 });
}

/**
 * The first connection, waited for while the broker is not up: at boot the
 * collector may start before Mosquitto (or its container's name resolves), and
 * exiting would leave it to the supervisor's restart limit (systemd gives up
 * after StartLimitBurst). A refusal (credentials, ACL, TLS) still fails at once:
 * waiting would not change it. Once connected, MQTT.js reconnects on its own.
 */
async function connectWhenUp(connect: () => Promise<MqttClient>, url: string, log: Logger): Promise<MqttClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await connect();
      if (attempt > 0) log.info({ url, attempts: attempt + 1 }, 'broker reachable');
      return client;
    } catch (err) {
      if (!brokerNotUp(err)) throw err;
      const retryInMs = backoffDelayMs(attempt, { baseMs: 1000, maxMs: 15_000 });
      log.warn({ url, err: (err as Error).message, retryInMs }, 'broker not reachable; waiting for it (check broker.url if this persists)');
      await new Promise((r) => setTimeout(r, retryInMs));
    }
  }
}

/** Publishes the offline state while still connected, closes the client, then the embedded broker. */
export async function closeCollectorLink(client: MqttClient | undefined, embedded: EmbeddedBroker | undefined, clock: () => number): Promise<void> {
  if (client) {
    closing.add(client);
    if (client.connected) {
      const offline = encodeCollectorState({ v: 1, online: false, ts: clock(), instance: client.options.clientId });
      await client.publishAsync(offline.topic, offline.payload, { qos: 1, retain: true }).catch(() => undefined);
    }
    await client.endAsync().catch(() => undefined);
  }
  if (embedded) await embedded.stop();
}
