import type { MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log/logger.js';
import { connectMqtt } from '../../shared/mqtt/connect.js';
import { brokerClientOptions, type BrokerConfig } from '../../shared/config/broker-config.js';
import { agentTopic, COLLECTOR_STATE_TOPIC, decode, encode, type DecodeResult, type EncodedMessage, type Birth } from '../../shared/protocol/index.js';
import { backoffDelayMs } from '../../shared/async/backoff.js';

export interface MqttLinkOptions {
  site: string;
  agent: string;
  broker: BrokerConfig;
  session: number;
  log: Logger;
  now: () => number;
  /** Every message on the subscribed topics, decoded; handlers must not throw. */
  onMessage: (result: DecodeResult, bytes: Uint8Array) => void;
  onConnected?: () => void;
  onDisconnected?: () => void;
}

export interface MqttLink {
  start(): void;
  stop(): Promise<void>;
  readonly connected: boolean;
  /** Publishes now; resolves on PUBACK. Rejects when not connected (nothing is queued in memory). */
  publish(message: EncodedMessage): Promise<void>;
  /** The retained birth, sent on every (re)connect. */
  setBirth(birth: Birth): void;
  stats(): { connects: number; disconnects: number; lastConnectedAt: number | null; lastError: string | null };
}

/**
 * The agent's broker connection: Will + retained `state`, retained `birth`,
 * subscriptions to its own control and acks and to the collector's state.
 * Reconnects with jittered exponential backoff, building a fresh client each
 * time: the outbox, not the MQTT client's in-memory store, owns delivery.
 */
export function createMqttLink(options: MqttLinkOptions): MqttLink {
  const { site, agent, session, log, now } = options;
  const stateTopic = agentTopic(site, agent, 'state');
  let client: MqttClient | undefined;
  let stopped = true;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let birth: Birth | undefined;
  let protocolVersion: 4 | 5 | undefined;
  const stats = { connects: 0, disconnects: 0, lastConnectedAt: null as number | null, lastError: null as string | null };

  const statePayload = (online: boolean) => encode('state', site, agent, { v: 1, site, agent, online, session, ts: now() }).payload;

  function schedule(): void {
    if (stopped) return;
    const delay = attempt === 0 ? 0 : backoffDelayMs(attempt, { maxMs: options.broker.reconnectMaxMs });
    attempt++;
    timer = setTimeout(() => void connectOnce(), delay);
  }

  async function connectOnce(): Promise<void> {
    let c: MqttClient;
    try {
      c = await connectMqtt({
        url: options.broker.url,
        ...brokerClientOptions(options.broker),
        ...(protocolVersion ? { protocolVersion } : {}),
        clientId: options.broker.clientId ?? `hashwatt-agent-${site}-${agent}`,
        clean: true,
        queueQoSZero: false,
        connectTimeoutMs: 10_000,
        will: { topic: stateTopic, payload: statePayload(false), qos: 1, retain: true },
      });
    } catch (err) {
      stats.lastError = (err as Error).message;
      log.warn({ err: stats.lastError, attempt }, 'broker connect failed');
      schedule();
      return;
    }
    if (stopped) {
      c.end(true);
      return;
    }
    protocolVersion = c.options.protocolVersion === 5 ? 5 : 4;
    client = c;
    attempt = 0;
    stats.connects++;
    stats.lastConnectedAt = now();
    stats.lastError = null;
    c.on('message', (topic, payload) => {
      try {
        options.onMessage(decode(topic, payload), payload);
      } catch (err) {
        log.error({ err, topic }, 'message handler threw');
      }
    });
    c.on('error', (err) => {
      stats.lastError = err.message;
      log.warn({ err: err.message }, 'broker connection error');
    });
    c.once('close', () => {
      if (client !== c) return;
      client = undefined;
      stats.disconnects++;
      c.removeAllListeners('message');
      c.end(true);
      log.warn('broker connection lost');
      options.onDisconnected?.();
      schedule();
    });
    log.info({ url: options.broker.url, protocolVersion }, 'broker connected');
    try {
      await c.subscribeAsync(
        { [agentTopic(site, agent, 'control')]: { qos: 1 }, [agentTopic(site, agent, 'telemetry/ack')]: { qos: 1 }, [COLLECTOR_STATE_TOPIC]: { qos: 1 } },
      );
      await c.publishAsync(stateTopic, statePayload(true), { qos: 1, retain: true });
      if (birth) await publishOn(c, encode('birth', site, agent, { ...birth, agentClock: now() }));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'broker setup after connect failed');
    }
    if (client === c) options.onConnected?.();
  }

  function publishOn(c: MqttClient, m: EncodedMessage): Promise<void> {
    return c.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain }).then(() => undefined);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (!c) return;
      try {
        // A clean goodbye: the Will fires only on an unexpected loss.
        await Promise.race([c.publishAsync(stateTopic, statePayload(false), { qos: 1, retain: true }), new Promise((r) => setTimeout(r, 2000))]);
      } catch {
        // broker already gone; the Will says offline for us
      }
      await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
    },
    get connected() {
      return client?.connected === true;
    },
    publish(message) {
      const c = client;
      if (!c || !c.connected) return Promise.reject(new Error('not connected to the broker'));
      return publishOn(c, message);
    },
    setBirth(next) {
      birth = next;
      const c = client;
      if (c?.connected) publishOn(c, encode('birth', site, agent, { ...next, agentClock: now() })).catch((err) => log.warn({ err: err.message }, 'birth publish failed'));
    },
    stats: () => ({ ...stats }),
  };
}
