import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { agentTopic } from '../../shared/protocol/index.js';
import { COLLECTOR_REQUIREMENTS } from '../../shared/conformance/requirements.js';
import { startTestCollector, type TestCollector } from '../../server/testing/test-collector.js';
import { uniqueId, type TestBroker } from '../helpers/broker.js';
import { startKitBroker } from './kit-broker.js';
import { waitFor } from '../helpers/wait-for.js';
import { describeOutcomes, runKit } from './run-kit.js';

// Our collector (real SQLite file, real broker), checked by the kit playing an agent through its CLI.
let tc: TestCollector;
let site: string;
let broker: TestBroker;

before(async () => {
  // Serving only the kit's site, on a broker of its own: no other test's collector may ack the kit, nor this one theirs.
  const prefix = uniqueId('t');
  site = `${prefix}-kit`;
  // A gap timeout well past the kit's gap window (the test default of 2 s would race it).
  broker = await startKitBroker();
  tc = await startTestCollector({ ingest: { clientId: `${prefix}-collector`, flushMs: 50, sessionExpiryS: 120, gapTimeoutS: 60, sites: [site] } }, { prefix, broker });
});

after(async () => {
  // Leave nothing retained on a shared Mosquitto.
  const client = await mqtt.connectAsync(tc.broker.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  for (const kind of ['state', 'birth', 'control'] as const) await client.publishAsync(agentTopic(site, 'gw-1', kind), '', { qos: 1, retain: true });
  await client.endAsync();
  await tc?.stop();
  await broker?.stop();
});

test('hashwatt conformance collector passes against our collector', async () => {
  const run = await runKit('collector', ['--broker', tc.broker.url, '--site', site, '--agent', 'gw-1', '--public-key', join(tc.keysDir, 'control-signing.pub.pem'), '--timeout-s', '30']);
  assert.deepEqual(run.outcomes.map((o) => o.id), COLLECTOR_REQUIREMENTS.map((r) => r.id));
  assert.deepEqual(run.outcomes.filter((o) => o.verdict === 'fail').map((o) => `${o.id}: ${o.detail}`), [], describeOutcomes(run.outcomes));
  assert.equal(run.code, 0, describeOutcomes(run.outcomes));
  // What the kit did, seen from the collector's API: its agent, in its second session, and the three refusals counted.
  const agents = (await tc.api('/api/v1/agents')).body.agents as Array<{ site: string; agent: string; session: number }>;
  const kitAgent = agents.find((a) => a.site === site && a.agent === 'gw-1');
  assert.ok(kitAgent, `the kit's agent is listed: ${JSON.stringify(agents)}`);
  const metrics = (await tc.api('/metrics', { token: null })).text;
  for (const reason of ['not_json', 'schema', 'identity_mismatch']) assert.match(metrics, new RegExp(`hashwatt_ingest_rejects_total\\{reason="${reason}"\\} [1-9]`));
  assert.equal(run.get('COLLECTOR-CONTROL-SIGNATURE').verdict, 'skip', 'no event covers the site yet, so no control to check');

  // A curtailment event on the kit's site: the collector signs a control for its agent, and the kit verifies it.
  const event = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [site] }, kind: 'full', durationS: 600, reason: 'conformance' } });
  assert.equal(event.status, 201, event.text);
  await waitFor('the control published for the kit agent', async () => ((await tc.api(`/api/v1/sites/${site}`)).body as { controlRevision?: number | null }).controlRevision);
  const second = await runKit('collector', ['--broker', tc.broker.url, '--site', site, '--agent', 'gw-1', '--public-key', join(tc.keysDir, 'control-signing.pub.pem'), '--timeout-s', '30']);
  assert.equal(second.get('COLLECTOR-CONTROL-SIGNATURE').verdict, 'pass', describeOutcomes(second.outcomes));
  assert.equal(second.code, 0, describeOutcomes(second.outcomes));
});
