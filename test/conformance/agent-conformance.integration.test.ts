import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger } from '../../shared/log/logger.js';
import { AGENT_REQUIREMENTS } from '../../shared/conformance/requirements.js';
import { createAgent, type Agent } from '../../agent/main.js';
import { startTestSite, type TestSite } from '../../agent/testing/test-site.js';
import { waitFor } from '../helpers/wait-for.js';
import { startKitBroker } from './kit-broker.js';
import { describeOutcomes, runKit } from './run-kit.js';

// Our own agent, on emulated miners and meter over a real broker, checked by the kit through its CLI.
let site: TestSite;
let agent: Agent;

before(async () => {
  site = await startTestSite({ miners: 6 }, { broker: await startKitBroker() });
  // The kit is the collector here: the stand-in must not ack behind its back.
  site.collector.acking = false;
  agent = createAgent({ config: site.config(), log: createSilentLogger() });
  await agent.start();
  await waitFor('first telemetry', () => site.collector.telemetry.length > 0, { timeoutMs: 15_000 });
});

after(async () => {
  await agent?.stop();
  await site?.stop();
});

test('hashwatt conformance agent passes every requirement against our agent', async () => {
  const key = join(site.dir, 'kit.key.pem');
  writeFileSync(key, site.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const run = await runKit('agent', ['--broker', site.broker.url, '--site', site.site, '--agent', site.agent, '--key', key, '--timeout-s', '30']);
  assert.deepEqual(run.outcomes.map((o) => o.id), AGENT_REQUIREMENTS.map((r) => r.id), 'one row per requirement, in order');
  assert.deepEqual(run.outcomes.filter((o) => o.verdict !== 'pass').map((o) => `${o.id}: ${o.detail}`), [], describeOutcomes(run.outcomes));
  assert.equal(run.code, 0);
  // What the kit claims, seen from outside: the agent holds the kit's final control and slept no miner.
  assert.equal(site.fleet.groundTruth().filter((m) => m.phase === 'sleeping').length, 0);
  assert.ok(agent.status().control.revision !== null && agent.status().control.revision! > 0);
});
