import type { MqttClient } from 'mqtt';
import { MESSAGE_TYPES } from '../../shared/protocol/index.js';

/**
 * The event service's publisher port (docs/architecture.md#events-and-controls):
 * where a signed control goes on its way to an agent. One call per agent's
 * control; `done` runs once the channel holds it for good (the broker's PUBACK),
 * or with the error. A callback, not a promise: the fan-out publishes thousands
 * of controls per tick.
 */
export interface ControlChannel {
  publish(topic: string, payload: Buffer, done: (err?: Error | null) => void): void;
}

const { qos, retain } = MESSAGE_TYPES.control;

/**
 * The channel over the collector's MQTT client: each control retained at QoS 1
 * (docs/protocol.md), so an agent that connects later still gets its newest one.
 */
export function mqttControlChannel(client: MqttClient): ControlChannel {
  const options = { qos, retain } as const;
  return { publish: (topic, payload, done) => { client.publish(topic, payload, options, done); } };
}
