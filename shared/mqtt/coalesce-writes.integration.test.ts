import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { startTestBroker, uniqueId } from '../../test/helpers/broker.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { coalesceWrites } from './coalesce-writes.js';
import { connectMqtt } from './connect.js';

test('a burst of QoS 1 messages is acknowledged in a few socket writes, and every publisher gets its PUBACK', async () => {
  const broker = await startTestBroker();
  const topic = `${uniqueId('coalesce')}/burst`;
  const receiver = await connectMqtt({ url: broker.url, clientId: uniqueId('rx'), clean: true });
  const sender = await connectMqtt({ url: broker.url, clientId: uniqueId('tx'), clean: true });
  try {
    coalesceWrites(receiver);
    const socket = receiver.stream as Duplex & { _writev?: (...a: unknown[]) => void; _write: (...a: unknown[]) => void };
    let writes = 0;
    for (const name of ['_write', '_writev'] as const) {
      const original = socket[name];
      if (typeof original !== 'function') continue;
      socket[name] = function (this: unknown, ...args: unknown[]) {
        writes++;
        return (original as (...a: unknown[]) => void).apply(this, args);
      };
    }
    let received = 0;
    receiver.on('message', () => received++);
    await receiver.subscribeAsync(topic, { qos: 1 });
    const N = 300;
    // Every publish resolves only on the broker's PUBACK; the receiver's PUBACKs keep the broker's inflight window moving.
    await Promise.all(Array.from({ length: N }, (_, i) => sender.publishAsync(topic, `m${i}`, { qos: 1 })));
    await waitFor(`${N} messages at the receiver`, () => received === N);
    assert.ok(writes < N / 3, `${writes} socket writes for ${N} PUBACKs`);
  } finally {
    await Promise.all([receiver.endAsync(), sender.endAsync()]);
    await broker.stop();
  }
});
