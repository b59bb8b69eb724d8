import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker, uniqueId } from '../test/helpers/broker.js';
import { collectorProcess } from '../test/helpers/collector-process.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { sample, startTestPublisher } from './testing/test-publisher.js';

/**
 * Issue 13 #1 and #2: what the broker queued for the collector's persistent
 * session while it was dead must be stored after a restart, not PUBACKed into
 * the void before a listener exists, and the restarted ack tracker must not give
 * up a gap at once. The publisher sends each message exactly once (no outbox
 * replay), so a message the collector drops stays missing.
 */
test('kill -9 with 60 messages queued at the broker: all 60 stored after restart, no gap recorded', { timeout: 60_000 }, async () => {
  const broker = await startTestBroker();
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-queued-'));
  const prefix = uniqueId('q');
  const site = `${prefix}-a`;
  const collector = await collectorProcess(dir, { brokerUrl: broker.url, prefix, sites: [site] });
  const pub = await startTestPublisher(broker.url, site);
  try {
    await collector.start();
    await pub.online();
    const base = Date.now() - 600_000;
    await pub.telemetry(1, [sample(base, 1000)]);
    await waitFor('seq 1 acked', () => pub.acks.some((a) => a.seq === 1));

    await collector.kill('SIGKILL');
    for (let seq = 2; seq <= 61; seq++) await pub.telemetry(seq, [sample(base + seq * 1000, 1000 + seq)]);
    await collector.start();

    await waitFor('all 61 seqs acked', () => pub.acks.some((a) => a.seq === 61), { timeoutMs: 30_000 });
    const db = await collector.readStore();
    try {
      const [stored] = await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM samples s JOIN sites x ON x.id = s.site_id WHERE x.site = ?', site);
      assert.equal(stored?.n, 61, 'every message stored once');
      const [gaps] = await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM telemetry_gaps');
      assert.equal(gaps?.n, 0, 'no gap recorded');
    } finally {
      await db.close();
    }
  } finally {
    await collector.kill('SIGTERM');
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
