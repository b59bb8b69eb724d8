import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createAgent, type Agent } from '../../agent/main.js';
import { AgentConfigSchema } from '../../agent/config/agent-config.js';
import { startFleet, type Fleet } from '../../sim/fleet/fleet.js';
import { COLLECTOR_USERNAME, agentUsername } from '../../shared/credentials/broker-identities.js';
import { createSilentLogger } from '../../shared/log/logger.js';
import { randomLoopback } from '../../agent/testing/test-site.js';
import { waitFor } from '../helpers/wait-for.js';
import { signedControl, signingKey, tlsBrokerConfig, type SigningKey } from './agent-identity.js';
import { connectAs, endAll } from './mqtt-clients.js';
import { skipReason, startProductionBroker, type ProductionBroker } from './production-broker.js';

// The agent behind the production broker over TLS with a client certificate.
// Whoever holds broker rights to publish controls (here the collector's own
// identity, as if its broker credentials leaked) still cannot make the agent
// act without the signing key, nor by replaying an old signed control.
const skip = skipReason();
if (skip) process.stdout.write(`# skipping signed-control tests: ${skip}\n`);

const SITE = 'sec-site';
const AGENT = 'gw-1';
const base = `hashwatt/v1/${SITE}/${AGENT}`;
const ROTATION_END = Date.now() + 3_600_000;

describe('agent refuses forged and replayed controls; honours a signing-key rotation window', { skip }, () => {
  let broker: ProductionBroker;
  let fleet: Fleet;
  let agent: Agent;
  let publisher: MqttClient;
  let dir: string;
  let oldKey: SigningKey;
  let newKey: SigningKey;
  let forgerKey: SigningKey;
  let clockOffset = 0;
  const agentNow = () => Date.now() + clockOffset;
  const reports: { revision: number; status: string; reason?: string }[] = [];
  const reportFor = (revision: number, status: string) => waitFor(`report ${status} for revision ${revision}`, () => reports.find((r) => r.revision === revision && r.status === status));
  const publishControl = (payload: Record<string, unknown>) => publisher.publishAsync(`${base}/control`, JSON.stringify(payload), { qos: 1, retain: true });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hashwatt-signed-control-'));
    broker = await startProductionBroker([{ site: SITE, agent: AGENT }]);
    fleet = await startFleet({ miners: 3, timeFactor: 0.05, host: randomLoopback(), portBase: 0, seed: 5 });
    oldKey = signingKey(dir, 'old');
    newKey = signingKey(dir, 'new');
    forgerKey = signingKey(dir, 'forger');
    const config = AgentConfigSchema.parse({
      site: SITE,
      agent: AGENT,
      broker: tlsBrokerConfig(broker, agentUsername(SITE, AGENT), dir),
      // Rotation: the old key is trusted until ROTATION_END, the new one from now on.
      controlPublicKeys: [{ path: oldKey.publicPath, notAfter: new Date(ROTATION_END).toISOString() }, newKey.publicPath],
      miners: fleet.endpoints().map((e) => ({ id: e.id, host: e.host, port: e.port, httpPort: e.httpPort, v3Port: e.v3Port, firmware: e.firmware, username: e.username, password: e.password })),
      poll: { cron: '* * * * * *', concurrency: 8, timeoutMs: 900 },
      dataDir: join(dir, 'data'),
      curtailment: { batchSize: 10, batchPauseS: 0.1, minSleepS: 0, confirmTimeoutMs: 4000 },
    });
    publisher = await connectAs(broker.options(COLLECTOR_USERNAME, 'tls'));
    publisher.on('message', (_topic, payload) => reports.push(JSON.parse(payload.toString())));
    await publisher.subscribeAsync(`${base}/control/report`, { qos: 1 });
    agent = createAgent({ config, log: createSilentLogger(), clock: { now: agentNow } });
    await agent.start();
    await waitFor('agent connected to the broker over TLS', () => agent.status().broker.connected, { timeoutMs: 15_000 });
  });

  after(async () => {
    await agent?.stop();
    await endAll(publisher);
    await fleet?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a control signed with another key, published with broker rights, is refused as bad_signature', async () => {
    await publishControl(signedControl(SITE, AGENT, 5, agentNow(), forgerKey, { mode: 'full' }));
    assert.equal((await reportFor(5, 'rejected')).reason, 'bad_signature');
    // a genuine control signed by the new key, tampered after signing
    await publishControl({ ...signedControl(SITE, AGENT, 6, agentNow(), newKey, { mode: 'none' }), mode: 'full' });
    assert.equal((await reportFor(6, 'rejected')).reason, 'bad_signature');
    assert.equal(agent.status().control.revision, null, 'no control was taken');
    assert.equal(fleet.groundTruth().filter((m) => m.phase !== 'hashing').length, 0, 'no miner was touched');
  });

  test('a replayed old revision is refused as stale', async () => {
    const old = signedControl(SITE, AGENT, 10, agentNow(), newKey);
    await publishControl(old);
    await reportFor(10, 'accepted');
    await publishControl(signedControl(SITE, AGENT, 11, agentNow(), newKey));
    await reportFor(11, 'accepted');
    await publishControl(old); // the exact signed bytes of revision 10, again
    assert.equal((await reportFor(10, 'rejected')).reason, 'stale');
    assert.equal(agent.status().control.revision, 11);
  });

  test('during the rotation window both keys are accepted; after it only the new one', async () => {
    await publishControl(signedControl(SITE, AGENT, 20, agentNow(), oldKey));
    await reportFor(20, 'accepted');
    await publishControl(signedControl(SITE, AGENT, 21, agentNow(), newKey));
    await reportFor(21, 'accepted');
    clockOffset = ROTATION_END - Date.now() + 1000; // the agent's clock passes the window's end
    await publishControl(signedControl(SITE, AGENT, 22, agentNow(), oldKey));
    assert.equal((await reportFor(22, 'rejected')).reason, 'bad_signature');
    await publishControl(signedControl(SITE, AGENT, 23, agentNow(), newKey));
    await reportFor(23, 'accepted');
    assert.equal(agent.status().control.revision, 23);
  });
});
