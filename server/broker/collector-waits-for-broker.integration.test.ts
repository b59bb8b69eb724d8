import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger } from '../../shared/log/logger.js';
import { collectorProcess } from '../../test/helpers/collector-process.js';
import { restartablePort } from '../../test/helpers/mosquitto.js';
import { uniqueId } from '../../test/helpers/broker.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { sample, startTestPublisher } from '../testing/test-publisher.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';

/**
 * Boot order at 3 a.m.: the gateway's collector comes up before its broker (or
 * the broker's container name does not resolve yet). It must wait and say so,
 * not exit and leave it to the supervisor's restart limit.
 */
const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

test('a collector started before its broker waits for it, saying so in its log, then ingests once the broker is up', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-waits-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const port = await restartablePort();
  const prefix = uniqueId('wb');
  const site = `${prefix}-s1`;
  const logFile = join(dir, 'collector.log');
  const collector = await collectorProcess(dir, { brokerUrl: `mqtt://127.0.0.1:${port}`, prefix, sites: [site], logFile });
  cleanup.push(() => collector.kill('SIGTERM'));
  const starting = collector.start();
  starting.catch(() => undefined); // awaited below; a failure before then is reported there

  const waiting = await waitFor('the collector to log that it waits for the broker', async () => {
    const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; url?: string });
    return lines.find((l) => l.msg.startsWith('broker not reachable'));
  }, { timeoutMs: 30_000 });
  assert.equal(waiting.url, `mqtt://127.0.0.1:${port}`, 'the log names the broker it waits for');
  assert.equal(collector.running(), true, 'still running while it waits');

  const broker: EmbeddedBroker = await startEmbeddedBroker({ port, log: createSilentLogger() });
  cleanup.push(() => broker.stop());
  await starting; // healthy: connected and serving

  const publisher = await startTestPublisher(broker.url, site);
  cleanup.push(() => publisher.close());
  await publisher.online();
  await publisher.telemetry(1, [sample(Date.now(), 777)]);
  await waitFor('the telemetry stored and shown', async () => {
    const { body } = await collector.api('/api/v1/sites');
    return (body.sites as Array<{ id: string; kw: number | null }>).find((s) => s.id === site && s.kw === 777);
  }, { timeoutMs: 30_000 });
});
