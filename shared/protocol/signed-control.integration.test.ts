import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { connectMqtt } from '../mqtt/connect.js';
import { startTestBroker, uniqueId } from '../../test/helpers/broker.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { decode, encode } from './codec.js';
import { agentTopic } from './topics.js';
import { exampleControl } from './examples.js';
import { signPayload, verifyPayload } from '../signing/control-signing.js';

test('a signed control crosses the broker retained, decodes and verifies; a tampered copy is refused', async (t) => {
  const broker = await startTestBroker();
  t.diagnostic(`broker: ${broker.kind} ${broker.url}`);
  const site = uniqueId('site');
  const agent = 'gw-1';
  const keys = generateKeyPairSync('ed25519');
  const collector = await connectMqtt({ url: broker.url, clientId: uniqueId('collector') });
  const gateway = await connectMqtt({ url: broker.url, clientId: uniqueId('agent') });
  try {
    const control = signPayload({ ...exampleControl, site, agent, revision: 3 }, keys.privateKey, keys.publicKey);
    const message = encode('control', site, agent, control);
    await collector.publishAsync(message.topic, message.payload, { qos: message.qos, retain: message.retain });

    // Subscribing after the publish proves the control is retained: a reconnecting agent always gets the latest.
    const received: Array<{ topic: string; payload: Buffer }> = [];
    gateway.on('message', (topic, payload) => received.push({ topic, payload }));
    await gateway.subscribeAsync(agentTopic(site, agent, 'control'), { qos: 1 });
    await waitFor('the retained control', () => received.length >= 1);

    const decoded = decode(received[0]!.topic, received[0]!.payload);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
    assert.equal(decoded.message.kind, 'control');
    assert.equal(decoded.message.site, site);
    assert.deepEqual(verifyPayload(decoded.message.raw, [keys.publicKey]).ok, true);

    // A man in the middle with broker rights raises the cap: schema-valid, signature not.
    const tampered = { ...control, value: control.value! * 10 };
    const forged = encode('control', site, agent, tampered);
    await collector.publishAsync(forged.topic, forged.payload, { qos: 1, retain: true });
    await waitFor('the tampered control', () => received.length >= 2);
    const second = decode(received[1]!.topic, received[1]!.payload);
    assert.ok(second.ok);
    const verdict = verifyPayload(second.message.raw, [keys.publicKey]);
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.reason, 'bad_signature');
  } finally {
    // Clear the retained message so the shared Mosquitto keeps no leftovers.
    await collector.publishAsync(agentTopic(site, agent, 'control'), '', { qos: 1, retain: true });
    await Promise.all([collector.endAsync(), gateway.endAsync()]);
    await broker.stop();
  }
});
