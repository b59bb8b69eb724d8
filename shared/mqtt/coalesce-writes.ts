import type { Duplex } from 'node:stream';
import type { MqttClient } from 'mqtt';

/**
 * Coalesces what MQTT.js writes while it works through one read from the socket
 * into one write. MQTT.js handles each received packet in its own tick and
 * flushes after each, so a burst of 2,000 QoS 1 messages costs 2,000 PUBACK
 * syscalls (and as many reads at the broker); corked until the burst is handled
 * (the next turn of the event loop), it is a handful. Applies to every stream
 * the client opens (reconnects too).
 */
export function coalesceWrites(client: MqttClient): void {
  const seen = new WeakSet<object>();
  const attach = () => {
    const stream = client.stream as Duplex | undefined;
    if (!stream || seen.has(stream) || typeof stream.cork !== 'function') return;
    seen.add(stream);
    let corked = false;
    const uncork = () => {
      corked = false;
      stream.uncork();
    };
    stream.prependListener('data', () => {
      if (corked) return;
      corked = true;
      stream.cork();
      setImmediate(uncork);
    });
  };
  attach();
  client.on('connect', attach);
}
