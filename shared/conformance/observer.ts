import type { MqttClient } from 'mqtt';
import { AppError } from '../errors.js';
import { connectMqtt, type ConnectOptions } from '../mqtt/connect.js';
import { decode, type DecodeResult } from '../protocol/index.js';

export interface Seen {
  topic: string;
  at: number;
  retained: boolean;
  bytes: Buffer;
  result: DecodeResult;
  /** Parsed JSON even when the message does not decode (null when not JSON). */
  json: Record<string, unknown> | null;
}

export interface BrokerOptions {
  url: string;
  username?: string;
  password?: string;
}

/**
 * The kit's own MQTT client: records every message on the topics it follows,
 * decoded with the codec, so checks look back over what arrived and wait for
 * what has not yet (with a deadline, never a fixed sleep).
 */
export class Observer {
  readonly seen: Seen[] = [];
  private waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {}

  static async connect(broker: BrokerOptions, clientId: string, extra: Partial<ConnectOptions> = {}): Promise<Observer> {
    let observer: Observer | undefined;
    const pending: Array<[string, Buffer, boolean]> = [];
    const client = await connectMqtt({
      url: broker.url,
      clientId,
      clean: true,
      ...(broker.username !== undefined ? { username: broker.username } : {}),
      ...(broker.password !== undefined ? { password: broker.password } : {}),
      ...extra,
      beforeConnect: (c) => c.on('message', (topic, bytes, packet) => (observer ? observer.record(topic, bytes, packet.retain) : pending.push([topic, bytes, packet.retain]))),
    }).catch((err: Error) => {
      throw new AppError('UNREACHABLE', `cannot connect to the broker at ${broker.url} as ${clientId}: ${err.message}`, { cause: err });
    });
    observer = new Observer(client);
    for (const [t, b, r] of pending) observer.record(t, b, r);
    return observer;
  }

  private record(topic: string, bytes: Buffer, retained: boolean): void {
    let json: Record<string, unknown> | null = null;
    try {
      const v = JSON.parse(bytes.toString('utf8')) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
    } catch {
      json = null;
    }
    this.seen.push({ topic, at: Date.now(), retained, bytes, result: decode(topic, bytes), json });
    for (const w of [...this.waiters]) w();
  }

  async subscribe(topics: string[]): Promise<void> {
    await this.client.subscribeAsync(Object.fromEntries(topics.map((t) => [t, { qos: 1 as const }])));
  }

  async publish(topic: string, payload: string | Buffer, retain: boolean): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  on(topic: string, since = 0): Seen[] {
    return this.seen.filter((s) => s.topic === topic && s.at >= since);
  }

  /** Resolves with the first message (from index `from` on) that matches, or null at the deadline. */
  waitFor(match: (s: Seen) => boolean, timeoutMs: number, from = 0): Promise<Seen | null> {
    return new Promise((resolve) => {
      let i = from;
      const check = (): boolean => {
        for (; i < this.seen.length; i++) {
          if (match(this.seen[i]!)) {
            finish(this.seen[i]!);
            return true;
          }
        }
        return false;
      };
      const finish = (s: Seen | null) => {
        clearTimeout(timer);
        this.waiters.delete(onMessage);
        resolve(s);
      };
      const onMessage = () => void check();
      const timer = setTimeout(() => finish(null), timeoutMs);
      this.waiters.add(onMessage);
      check();
    });
  }

  get mark(): number {
    return this.seen.length;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.client.end(false, {}, () => resolve()));
  }
}
