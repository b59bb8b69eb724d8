import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneAtATime } from './one-at-a-time.js';

test('jobs run one after the other in the order handed in, also after one throws', async () => {
  const queue = oneAtATime();
  const log: string[] = [];
  const job = (name: string, ms: number, fail = false) => queue.run(async () => {
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${name}`);
    if (fail) throw new Error(name);
    return name;
  });
  const a = job('a', 20);
  const b = job('b', 1, true);
  const c = job('c', 1);
  assert.equal(await a, 'a');
  await assert.rejects(b, /b/);
  assert.equal(await c, 'c');
  await queue.idle();
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
});
