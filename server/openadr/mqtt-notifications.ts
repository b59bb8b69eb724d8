import { randomBytes } from 'node:crypto';
import { describeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import { connectMqtt, type MqttClient } from '../../shared/mqtt/connect.js';
import type { OpenAdrConfig } from './openadr-config.js';
import type { VtnClient } from './vtn-client.js';

export interface MqttNotificationsOptions {
  config: OpenAdrConfig;
  client: VtnClient;
  log: Logger;
  /** A notification as received (openadr3.yaml components/schemas/notification, as JSON text parsed). */
  onNotification(body: unknown, from: string): void;
}

/**
 * OpenADR 3.1 MQTT notifications (Definition, "Notifiers"): when GET /notifiers
 * offers an MQTT binding, the VEN connects to the VTN's broker and subscribes to
 * the event topics of each followed program. Polling goes on regardless: a
 * notification only makes the VEN hear of a change sooner.
 */
export function createMqttNotifications(options: MqttNotificationsOptions) {
  const { config, client } = options;
  const log = options.log.child({ notifier: 'mqtt' });
  let mqtt: MqttClient | undefined;
  let offered: boolean | undefined;
  const subscribed = new Set<string>();

  async function connect(): Promise<MqttClient | undefined> {
    const n = await client.notifiers();
    const binding = n.MQTT;
    offered = binding !== undefined;
    if (!binding) return undefined;
    const auth = binding.authentication;
    const creds = auth.method === 'OAUTH2_BEARER_TOKEN'
      ? { username: auth.username === '{clientID}' ? config.auth.clientId : auth.username, password: await client.accessToken() }
      : auth.method === 'CERTIFICATE' ? { ca: auth.caCert, cert: auth.clientCert, key: auth.clientKey } : {};
    const url = binding.URIS[0]!;
    const c = await connectMqtt({
      url, ...creds, clean: true, reconnectPeriod: 5000,
      clientId: `${config.venName}-${randomBytes(4).toString('hex')}`.slice(0, 64),
      beforeConnect: (m) => m.on('message', (topic, payload) => {
        let body: unknown;
        try { body = JSON.parse(payload.toString('utf8')); } catch { body = undefined; }
        options.onNotification(body, `mqtt ${topic}`);
      }),
    });
    c.on('error', (err) => log.warn({ err: err.message }, 'openadr mqtt notifier error'));
    log.info({ url, auth: auth.method }, 'openadr mqtt notifications connected');
    return c;
  }

  return {
    /** Connects when first offered and subscribes to the programs not yet subscribed; throws on a VTN or broker failure (retried by the next poll). */
    async follow(programIds: readonly string[]): Promise<void> {
      if (offered === false) return;
      mqtt ??= await connect();
      if (!mqtt) return;
      for (const id of programIds) {
        if (subscribed.has(id)) continue;
        const topics = await client.eventTopics(id);
        const list = topics.ALL ? [topics.ALL] : [topics.CREATE, topics.UPDATE, topics.DELETE].filter((t): t is string => !!t);
        await mqtt.subscribeAsync(list, { qos: 1 });
        subscribed.add(id);
        log.info({ programId: id, topics: list }, 'openadr mqtt topics subscribed');
      }
    },
    get connected(): boolean { return !!mqtt?.connected; },
    async stop(): Promise<void> {
      await mqtt?.endAsync().catch((err: unknown) => log.warn({ err: describeError(err) }, 'openadr mqtt close failed'));
    },
  };
}
