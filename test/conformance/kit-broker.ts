import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { findMosquitto, startMosquitto } from '../helpers/mosquitto.js';

/**
 * The broker for conformance runs. On the Mosquitto pass (MQTT_URL set) a
 * private Mosquitto on a free port rather than the shared one: the agent kit
 * must be its agent's only collector, and collectors of other tests on the
 * shared broker acknowledge every agent's telemetry, which spares the
 * messages the replay check expects. Embedded aedes otherwise.
 */
export async function startKitBroker(): Promise<TestBroker> {
  if (!process.env.MQTT_URL || !findMosquitto()) return startTestBroker();
  const m = await startMosquitto({ config: ([port]) => `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n` });
  return { url: `mqtt://127.0.0.1:${m.ports[0]}`, kind: 'external', stop: () => m.stop() };
}
