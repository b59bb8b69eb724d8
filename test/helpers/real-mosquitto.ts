import { canConnect } from './mosquitto.js';

/**
 * The shared real Mosquitto, for a test that needs what only a real broker has
 * (shared subscriptions: the embedded aedes broker has none). MQTT_URL names it;
 * a test file run by hand (`node --test dist/…`) uses 127.0.0.1:1883. Returns
 * why the test is skipped when there is none; under CI=true that throws instead.
 */
export async function realMosquitto(): Promise<{ url: string } | { skip: string }> {
  const configured = process.env.MQTT_URL;
  // scripts/run-tests.mjs runs integration tests twice: MQTT_URL is '' in the embedded-broker pass.
  if (configured === '') return { skip: 'needs the real Mosquitto; runs in the Mosquitto pass of scripts/run-tests.mjs' };
  const url = configured ?? 'mqtt://127.0.0.1:1883';
  const { hostname, port } = new URL(url);
  if (await canConnect(hostname, Number(port || 1883))) return { url };
  const reason = `nothing listens at ${url} (start mosquitto or set MQTT_URL)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true that is a failure`);
  return { skip: reason };
}
