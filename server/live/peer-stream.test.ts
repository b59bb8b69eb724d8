import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveBus, LiveChange } from './live-bus.js';
import { createPeerStream } from './peer-stream.js';
import { createStreamHub } from './stream-hub.js';
import { waitFor } from '../../test/helpers/wait-for.js';

/** A bus that keeps what would go to the peers (the PostgreSQL one is tested in postgres-live-bus.db.test.ts). */
function recordingBus(): LiveBus & { sent: LiveChange[][] } {
  const sent: LiveChange[][] = [];
  return { kind: 'postgres', instanceId: 'here', sent, start: async () => undefined, publish: async (changes) => void sent.push(changes), close: async () => undefined };
}

test('stream messages go to the peers as they are; a burst of changes to one event reaches them as one notice', async () => {
  const bus = recordingBus();
  const hub = createStreamHub();
  const stream = createPeerStream(hub, bus, 30);
  stream.now('alert', { change: 'opened', alert: { id: 7 } });
  assert.deepEqual(bus.sent, [[{ kind: 'stream', type: 'alert', data: { change: 'opened', alert: { id: 7 } } }]]);

  for (let i = 0; i < 1000; i++) stream.eventChanged(i % 2 === 0 ? 'ev-1' : 'ev-2');
  assert.equal(bus.sent.length, 1, 'nothing yet: the changes coalesce');
  await waitFor('the coalesced notice', () => bus.sent.length === 2);
  assert.deepEqual(bus.sent.slice(1), [[{ kind: 'event', eventId: 'ev-1' }, { kind: 'event', eventId: 'ev-2' }]]);

  stream.eventChanged('ev-3');
  stream.flush(); // shutdown: sent at once, not lost with the timer
  assert.deepEqual(bus.sent.at(-1), [{ kind: 'event', eventId: 'ev-3' }]);
  hub.close();
});
