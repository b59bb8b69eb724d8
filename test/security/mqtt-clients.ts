import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** Connects once (no reconnect); resolves with the client or rejects with the broker's or TLS layer's refusal. */
export function connectAs(options: IClientOptions & { url: string }, protocolVersion: 4 | 5 = 5): Promise<MqttClient> {
  const { url, ...rest } = options;
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion, ...rest });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** Records every message a client receives. */
export function collect(client: MqttClient): { topic: string; payload: string }[] {
  const seen: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  return seen;
}

export async function endAll(...clients: (MqttClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.endAsync(true).catch(() => undefined)));
}
