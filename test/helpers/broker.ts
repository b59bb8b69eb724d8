import { startEmbeddedBroker } from '../../server/broker/embedded-broker.js';
import { createSilentLogger } from '../../shared/log/logger.js';

export interface TestBroker {
  url: string;
  /** 'mosquitto' when MQTT_URL points the run at a real broker, else 'embedded'. */
  kind: 'embedded' | 'external';
  stop(): Promise<void>;
}

/**
 * Integration tests run twice (scripts/run-tests.mjs): once on an embedded aedes
 * broker on a free port, once against the real Mosquitto named by MQTT_URL.
 */
export async function startTestBroker(): Promise<TestBroker> {
  const external = process.env.MQTT_URL;
  if (external) return { url: external, kind: 'external', stop: async () => {} };
  const broker = await startEmbeddedBroker({ port: 0, log: createSilentLogger() });
  return { url: broker.url, kind: 'embedded', stop: () => broker.stop() };
}

/** Topic roots unique to one test, so runs against a shared Mosquitto never see each other's retained messages. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
