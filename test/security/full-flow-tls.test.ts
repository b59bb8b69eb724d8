import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type Agent } from '../../agent/main.js';
import { AgentConfigSchema } from '../../agent/config/agent-config.js';
import { randomLoopback } from '../../agent/testing/test-site.js';
import { startTestCollector, type TestCollector } from '../../server/testing/test-collector.js';
import { startFleet, type Fleet } from '../../sim/fleet/fleet.js';
import { COLLECTOR_USERNAME, agentUsername } from '../../shared/credentials/broker-identities.js';
import { createSilentLogger } from '../../shared/log/logger.js';
import { waitFor } from '../helpers/wait-for.js';
import { tlsBrokerConfig } from './agent-identity.js';
import { skipReason, startProductionBroker, type ProductionBroker } from './production-broker.js';

// The whole loop through the production broker, everything authenticated by
// site-CA client certificates over TLS and confined by the shipped ACL:
// agent telemetry → collector (stored, acknowledged) → event → signed control
// → agent curtails → control/report → collector.
const skip = skipReason();
if (skip) process.stdout.write(`# skipping the TLS end-to-end test: ${skip}\n`);

const SITE = 'tls-site';
const AGENT = 'gw-1';

describe('agent → collector → control → report over TLS with authentication', { skip }, () => {
  let broker: ProductionBroker;
  let fleet: Fleet;
  let agent: Agent;
  let tc: TestCollector;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hashwatt-full-flow-'));
    broker = await startProductionBroker([{ site: SITE, agent: AGENT }]);
    const external = { url: broker.tlsUrl, kind: 'external' as const, stop: async () => {} };
    tc = await startTestCollector(
      { broker: { ...tlsBrokerConfig(broker, COLLECTOR_USERNAME, dir), clientId: COLLECTOR_USERNAME }, ingest: { clientId: COLLECTOR_USERNAME, flushMs: 50, sessionExpiryS: 120, gapTimeoutS: 2 } },
      { broker: external },
    );
    fleet = await startFleet({ miners: 4, timeFactor: 0.05, host: randomLoopback(), portBase: 0, seed: 9 });
    const config = AgentConfigSchema.parse({
      site: SITE,
      agent: AGENT,
      broker: tlsBrokerConfig(broker, agentUsername(SITE, AGENT), dir),
      controlPublicKeys: [tc.config.signing.publicKeyFile],
      miners: fleet.endpoints().map((e) => ({ id: e.id, host: e.host, port: e.port, httpPort: e.httpPort, v3Port: e.v3Port, firmware: e.firmware, username: e.username, password: e.password })),
      poll: { cron: '* * * * * *', concurrency: 8, timeoutMs: 900, detailEvery: 2 },
      dataDir: join(dir, 'agent-data'),
      curtailment: { batchSize: 10, batchPauseS: 0.1, minSleepS: 0, confirmTimeoutMs: 4000 },
    });
    agent = createAgent({ config, log: createSilentLogger() });
    await agent.start();
  });

  after(async () => {
    await agent?.stop();
    await tc?.stop();
    await fleet?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('telemetry is stored and acknowledged, a curtailment event reaches the miners, reports come back', async () => {
    await waitFor('the collector to see the site drawing power', async () => {
      const sites = (await tc.api('/api/v1/sites')).body?.sites as { id: string; kw: number | null }[] | undefined;
      return sites?.find((s) => s.id === SITE && (s.kw ?? 0) > 0);
    }, { timeoutMs: 20_000 });
    await waitFor('telemetry acknowledged: the agent outbox drains', () => agent.status().outbox.rows === 0 && agent.status().polls.cycles >= 2, { timeoutMs: 20_000 });
    assert.equal(agent.status().collectorOnline, true, 'the agent reads the collector state through the ACL');

    const created = await tc.api('/api/v1/events', { method: 'POST', token: 'grid', body: { scope: { sites: [SITE] }, kind: 'full', durationS: 600, reason: 'tls e2e' } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    await waitFor('every emulated miner asleep', () => fleet.groundTruth().every((m) => m.phase === 'sleeping'), { timeoutMs: 30_000 });
    const event = await waitFor('the collector to hear the agent holding', async () => {
      const e = (await tc.api(`/api/v1/events/${id}`)).body;
      return e?.targets?.every((t: { state: string }) => t.state === 'holding' || t.state === 'confirmed') && e;
    }, { timeoutMs: 30_000 });
    assert.equal(event.targets[0].site, SITE);
    assert.equal(agent.status().control.mode, 'full');
  });
});
