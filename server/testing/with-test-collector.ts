import { uniqueId } from '../../test/helpers/broker.js';
import { startTestCollector, type RegistryChange, type TestCollector } from './test-collector.js';
import type { TestPublisher } from './test-publisher.js';

/**
 * Runs a test body against a fresh collector serving only the sites `serve`
 * names (on a shared Mosquitto another test's collector must not ack ours), then closes every publisher the body pushed into `pubs` (clearing its
 * retained messages on a shared Mosquitto) and stops the collector.
 */
export async function withTestCollector(
  fn: (tc: TestCollector, pubs: TestPublisher[]) => Promise<void>,
  options: { serve: (prefix: string) => string[]; overrides?: (prefix: string) => Record<string, unknown>; onChange?: (change: RegistryChange) => void },
): Promise<void> {
  const pubs: TestPublisher[] = [];
  const prefix = uniqueId('t');
  const tc = await startTestCollector(options.overrides?.(prefix) ?? {}, {
    prefix,
    serveSites: options.serve(prefix),
    ...(options.onChange ? { onChange: options.onChange } : {}),
  });
  try {
    await fn(tc, pubs);
  } finally {
    for (const p of pubs) {
      await p.clearRetained().catch(() => undefined);
      await p.close().catch(() => undefined);
    }
    await tc.stop();
  }
}
