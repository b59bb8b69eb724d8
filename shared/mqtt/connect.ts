import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export type { MqttClient, IClientOptions } from 'mqtt';

export interface ConnectOptions extends IClientOptions {
  url: string;
  /** How long to wait for the first CONNACK before giving up. */
  connectTimeoutMs?: number;
  /**
   * Called with each client before it connects: the place to attach 'message'
   * listeners, so a resumed session's queued messages reach them (the broker
   * sends those right after CONNACK, before connect() resolves).
   */
  beforeConnect?: (client: MqttClient) => void;
}

/** MQTT CONNACK reason "unacceptable protocol version" (3.1.1 code 1, MQTT 5 code 0x84). */
function isProtocolVersionRefusal(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return code === 1 || code === 0x84 || /protocol version/i.test(String((err as Error).message));
}

/**
 * Connects with MQTT 5 and falls back to 3.1.1 when the broker refuses the
 * protocol version (aedes, the embedded broker, speaks 3.1.1 only). The wire
 * protocol uses nothing that needs MQTT 5, so both work; with 5 the collector
 * also gets a session expiry instead of an unbounded persistent session.
 */
export async function connectMqtt(options: ConnectOptions): Promise<MqttClient> {
  const { url, connectTimeoutMs = 10_000, beforeConnect, ...rest } = options;
  const first = rest.protocolVersion ?? 5;
  try {
    return await connectOnce(url, { ...rest, protocolVersion: first }, connectTimeoutMs, beforeConnect);
  } catch (err) {
    if (first !== 5 || !isProtocolVersionRefusal(err)) throw err;
    const { properties: _mqtt5Only, ...v4 } = rest;
    return connectOnce(url, { ...v4, protocolVersion: 4 }, connectTimeoutMs, beforeConnect);
  }
}

/** Network errors of a broker that is not up (yet): worth waiting out, unlike a refusal (credentials, ACL, TLS). */
const NOT_UP = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Whether connectMqtt failed because nothing answered: the broker is down or
 * restarting, or a container's name does not resolve yet (boot order). A typo
 * in the host name looks the same (ENOTFOUND), which is why the caller logs
 * every retry with the URL.
 */
export function brokerNotUp(err: unknown): boolean {
  return NOT_UP.has((err as NodeJS.ErrnoException).code ?? '') || (err instanceof ConnectTimeoutError);
}

class ConnectTimeoutError extends Error {}

/**
 * MQTT.js traces every packet through the `debug` package (about 110 call
 * sites); disabled, each call still costs a check and its arguments: ~2 % of the
 * collector's CPU in a 1,000-site fan-out. Kept when DEBUG asks for it.
 */
const packetTrace: Pick<IClientOptions, 'log'> = /mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: () => {} };

function connectOnce(url: string, options: IClientOptions, timeoutMs: number, beforeConnect?: (client: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    // mqtt.connect() only opens the socket; no packet is read before this tick ends.
    const client = mqtt.connect(url, { reconnectPeriod: 0, ...packetTrace, ...options, connectTimeout: timeoutMs });
    beforeConnect?.(client);
    const wantReconnect = options.reconnectPeriod;
    const timer = setTimeout(() => fail(new ConnectTimeoutError(`MQTT connect to ${url} timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      client.removeListener('connect', ok);
      client.end(true);
      reject(err);
    };
    const ok = () => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      // Reconnect only once the first connection proved the settings right; a
      // wrong URL or password then fails fast instead of retrying forever.
      if (wantReconnect !== undefined) client.options.reconnectPeriod = wantReconnect;
      resolve(client);
    };
    client.once('connect', ok);
    client.once('error', fail);
  });
}
