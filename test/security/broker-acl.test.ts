import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { COLLECTOR_USERNAME, agentUsername, collectorAclBlock } from '../../shared/credentials/broker-identities.js';
import { loadOrCreateSiteCa, issueCertificate } from '../../shared/credentials/site-ca.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait-for.js';
import { SHIPPED_ACL, SHIPPED_CONF, skipReason, startProductionBroker, type ProductionBroker } from './production-broker.js';
import { collect, connectAs, endAll } from './mqtt-clients.js';

// Real Mosquitto with deploy/mosquitto/mosquitto.conf and acl (paths and ports
// rewritten by production-broker.ts), certificates made at test time.
const skip = skipReason();
if (skip) process.stdout.write(`# skipping broker security tests: ${skip}\n`);

const A = { site: 'site-a', agent: 'gw-1' };
const B = { site: 'site-b', agent: 'gw-1' };
const userA = agentUsername(A.site, A.agent);
const userB = agentUsername(B.site, B.agent);
const topic = (who: { site: string; agent: string }, kind: string) => `hashwatt/v1/${who.site}/${who.agent}/${kind}`;
const NOT_AUTHORIZED = 135; // MQTT 5 reason code 0x87

test('the shipped ACL holds exactly the collector block the credential tool generates', () => {
  assert.ok(SHIPPED_ACL.includes(collectorAclBlock()), 'deploy/mosquitto/acl and collectorAclBlock() disagree');
  assert.doesNotMatch(SHIPPED_ACL, /^\s*(topic|pattern)\s+(\w+\s+)?#\s*$/m, 'nobody may be granted "#"');
});

describe('production broker: authentication and ACL', { skip }, () => {
  let broker: ProductionBroker;
  let collector: MqttClient;
  let collectorSeen: { topic: string; payload: string }[];
  before(async () => {
    broker = await startProductionBroker([A, B]);
    // The real collector's client id (collector config ingest.clientId default).
    collector = await connectAs({ ...broker.options(COLLECTOR_USERNAME, 'tls'), clientId: 'hashwatt-collector' });
    collectorSeen = collect(collector);
    await collector.subscribeAsync(['hashwatt/v1/+/+/telemetry', 'hashwatt/v1/+/+/state', 'hashwatt/v1/+/+/control', 'hashwatt/v1/+/+/control/report'], { qos: 1 });
  });
  after(async () => {
    await endAll(collector);
    await broker?.stop();
  });

  test('a wrong password, an unknown user and an anonymous client are refused', async () => {
    const good = broker.options(userA, 'plain');
    await assert.rejects(connectAs({ ...good, password: 'wrong-password' }), /Not authorized/i);
    await assert.rejects(connectAs({ ...good, username: 'agent.site-a.nobody' }), /Not authorized/i);
    await assert.rejects(connectAs({ url: broker.plainUrl }), /Not authorized/i);
    const ok = await connectAs(good);
    await endAll(ok);
  });

  test('TLS: a certificate from another CA and a missing certificate are refused; the site CA’s is accepted', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'hashwatt-other-ca-'));
    try {
      const { ca: other } = await loadOrCreateSiteCa(otherDir);
      const forged = await issueCertificate(other, { commonName: userA, usage: 'client' });
      await assert.rejects(connectAs({ url: broker.tlsUrl, ca: broker.caPem, cert: forged.certPem, key: forged.keyPem }));
      await assert.rejects(connectAs({ url: broker.tlsUrl, ca: broker.caPem, ...(({ username, password }) => ({ username, password }))(broker.options(userA, 'plain')) }));
      const ok = await connectAs(broker.options(userA, 'tls'));
      await endAll(ok);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  for (const protocolVersion of [5, 4] as const) {
    test(`agent A cannot publish as agent B nor publish a control (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
      const agentA = await connectAs(broker.options(userA, 'tls'), protocolVersion);
      try {
        const mark = `${protocolVersion}-${Date.now()}`;
        const attempts = [
          agentA.publishAsync(topic(B, 'telemetry'), `forged telemetry ${mark}`, { qos: 1 }),
          agentA.publishAsync(topic(B, 'state'), `forged state ${mark}`, { qos: 1, retain: true }),
          agentA.publishAsync(topic(A, 'control'), `own control ${mark}`, { qos: 1, retain: true }),
          agentA.publishAsync(topic(B, 'control'), `other control ${mark}`, { qos: 1, retain: true }),
          agentA.publishAsync('hashwatt/v1/_collector/state', `collector state ${mark}`, { qos: 1, retain: true }),
        ];
        const results = await Promise.allSettled(attempts);
        if (protocolVersion === 5) {
          // MQTT 5 lets the broker say so in the PUBACK; 3.1.1 has no way to.
          for (const r of results) assert.equal(r.status === 'rejected' && (r.reason as { code?: number }).code, NOT_AUTHORIZED);
        }
        // QoS 1 from one client is delivered in order: once the legitimate
        // message arrives, anything published before it would have too.
        await agentA.publishAsync(topic(A, 'telemetry'), `own telemetry ${mark}`, { qos: 1 });
        await waitFor('the collector to receive agent A’s own telemetry', () => collectorSeen.find((m) => m.payload === `own telemetry ${mark}`));
        const leaked = collectorSeen.filter((m) => m.payload.endsWith(mark) && m.payload !== `own telemetry ${mark}`);
        assert.deepEqual(leaked, []);
        assert.equal(collectorSeen.find((m) => m.payload === `own telemetry ${mark}`)?.topic, topic(A, 'telemetry'));
      } finally {
        await endAll(agentA);
      }
    });
  }

  test('agent A receives nothing of another site, even subscribed to "#"; its own control and the collector state do arrive', async () => {
    const agentA = await connectAs(broker.options(userA, 'tls'));
    const agentB = await connectAs(broker.options(userB, 'tls'));
    try {
      const seenA = collect(agentA);
      const seenB = collect(agentB);
      // Mosquitto 2.0's acl_file grants the SUBACK and filters at delivery, so
      // the proof is in what arrives.
      await agentA.subscribeAsync(['#', `hashwatt/v1/${B.site}/+/control`, `hashwatt/v1/${B.site}/+/telemetry/ack`, topic(A, 'control'), 'hashwatt/v1/_collector/state'], { qos: 1 });
      await agentB.subscribeAsync([topic(B, 'control')], { qos: 1 });
      const mark = String(Date.now());
      await collector.publishAsync(topic(B, 'control'), `control for B ${mark}`, { qos: 1 });
      await collector.publishAsync(topic(B, 'telemetry/ack'), `ack for B ${mark}`, { qos: 1 });
      await agentB.publishAsync(topic(B, 'telemetry'), `B telemetry ${mark}`, { qos: 1 });
      await collector.publishAsync('hashwatt/v1/_collector/state', `collector ${mark}`, { qos: 1, retain: true });
      await collector.publishAsync(topic(A, 'control'), `control for A ${mark}`, { qos: 1 });
      await waitFor('agent B to get its control', () => seenB.find((m) => m.payload === `control for B ${mark}`));
      await waitFor('agent A to get its own control', () => seenA.find((m) => m.payload === `control for A ${mark}`));
      assert.ok(seenA.some((m) => m.payload === `collector ${mark}`), 'agent A reads the collector state');
      const foreign = seenA.filter((m) => !m.topic.startsWith(`hashwatt/v1/${A.site}/${A.agent}/`) && m.topic !== 'hashwatt/v1/_collector/state');
      assert.deepEqual(foreign, []);
    } finally {
      await endAll(agentA, agentB);
    }
  });

  test('a client id cannot take over another identity’s session (use_username_as_clientid)', async () => {
    let collectorClosed = 0;
    const onClose = () => collectorClosed++;
    collector.on('close', onClose);
    try {
      const impostor = await connectAs({ ...broker.options(userB, 'tls'), clientId: 'hashwatt-collector' });
      // A kicked client would never get its PUBACK: bound the wait.
      const acked = await Promise.race([
        collector.publishAsync('hashwatt/v1/_collector/state', 'still here', { qos: 1, retain: true }).then(() => true),
        waitFor('the collector connection to close', () => collectorClosed > 0, { timeoutMs: 5000 }).then(() => false),
      ]);
      assert.equal(collectorClosed, 0, 'the collector was disconnected by a client reusing its client id');
      assert.equal(acked, true);
      await endAll(impostor);
    } finally {
      collector.off('close', onClose);
    }
  });

  test('password over TLS works when the listener is switched to passwords as mosquitto.conf describes', async () => {
    const conf = SHIPPED_CONF.replace(/^require_certificate true$/m, 'require_certificate false').replace(/^use_identity_as_username true$/m, '');
    assert.notEqual(conf, SHIPPED_CONF);
    const pwBroker = await startProductionBroker([A]);
    const pwTls = await startProductionBroker([A], { confText: conf });
    try {
      const creds = pwTls.options(userA, 'plain');
      const ok = await connectAs({ url: pwTls.tlsUrl, ca: pwTls.caPem, username: creds.username!, password: creds.password! });
      await endAll(ok);
      await assert.rejects(connectAs({ url: pwTls.tlsUrl, ca: pwTls.caPem, username: creds.username!, password: 'wrong' }), /Not authorized/i);
      // and with the shipped file, a password alone does not pass the TLS listener
      const shipped = pwBroker.options(userA, 'plain');
      await assert.rejects(connectAs({ url: pwBroker.tlsUrl, ca: pwBroker.caPem, username: shipped.username!, password: shipped.password! }));
    } finally {
      await pwTls.stop();
      await pwBroker.stop();
    }
  });
});
