import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/**
 * One simulated agent's MQTT 3.1.1 connection for the fan-out benchmark, made
 * of mqtt-packet (the codec MQTT.js itself uses) over a plain socket. The
 * benchmark runs 1,000 of them in one process on the machine it measures, where
 * in the field each is its own gateway: an MqttClient each (keep-alive timers,
 * stores, promise bookkeeping) took CPU from the collector under test. The wire
 * is the same: QoS 1 both ways, PUBACK for every control, reports as PUBLISH.
 */
export interface LeanAgentOptions {
  url: string;
  clientId: string;
  /** Subscribed at QoS 1 once connected. */
  subscribe: string[];
  /** Sent at QoS 1 after the subscription is granted (the agent's first sample). */
  hello: { topic: string; payload: string };
  /** A non-empty message on a subscription; `ack` is its PUBACK, to write with the answers. */
  onMessage(topic: string, payload: Buffer, ack: Buffer, agent: LeanAgent): void;
}

export interface LeanAgent {
  /** Writes packets in one syscall. */
  write(packets: Buffer[]): void;
  /** A QoS 1 PUBLISH packet. */
  publish(topic: string, payload: string | Buffer, retain?: boolean): Buffer;
  end(): Promise<void>;
}

/** Connects, subscribes, sends the hello and resolves once the broker acknowledged it. */
export function leanAgent(o: LeanAgentOptions): Promise<LeanAgent> {
  const { hostname, port } = new URL(o.url);
  const socket: Socket = tcpConnect({ host: hostname, port: Number(port || 1883) });
  socket.setNoDelay(true);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let nextId = 1;
  const id = () => (nextId = nextId >= 65535 ? 1 : nextId + 1);
  const agent: LeanAgent = {
    write: (packets) => { socket.write(packets.length === 1 ? packets[0]! : Buffer.concat(packets)); },
    publish: (topic, payload, retain = false) => mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId: id() }),
    end: () => new Promise((resolve) => {
      socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
      socket.once('close', () => resolve());
    }),
  };
  return new Promise((resolve, reject) => {
    let helloId = 0;
    socket.once('error', reject);
    socket.on('data', (chunk) => parser.parse(chunk));
    parser.on('error', (err) => socket.destroy(err));
    parser.on('packet', (p: Packet) => {
      switch (p.cmd) {
        case 'connack':
          if (p.returnCode !== 0) return reject(new Error(`${o.clientId}: CONNACK ${String(p.returnCode)}`));
          socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: id(), subscriptions: o.subscribe.map((topic) => ({ topic, qos: 1 as const })) }));
          break;
        case 'suback': {
          const hello = agent.publish(o.hello.topic, o.hello.payload);
          helloId = nextId;
          socket.write(hello);
          break;
        }
        case 'puback':
          if (helloId !== 0 && p.messageId === helloId) {
            helloId = 0;
            resolve(agent);
          }
          break;
        case 'publish': {
          const ack = mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! });
          const payload = p.payload as Buffer;
          if (payload.length === 0) socket.write(ack); // a cleared retained control
          else o.onMessage(p.topic, payload, ack, agent);
          break;
        }
        default:
          break;
      }
    });
    socket.once('connect', () => socket.write(mqttPacket.generate({ cmd: 'connect', clientId: o.clientId, protocolVersion: 4, protocolId: 'MQTT', clean: true, keepalive: 0 })));
  });
}
