import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachInParallel } from './for-each-in-parallel.js';

test('runs every item, never more than the limit at once', async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  await forEachInParallel(Array.from({ length: 25 }, (_, i) => i), 4, async (i) => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setImmediate(r));
    done.push(i);
    running--;
  });
  assert.deepEqual([...done].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  assert.equal(most, 4);
});

test('a failure rejects the whole; nothing is started after it', async () => {
  const started: number[] = [];
  await assert.rejects(forEachInParallel([1, 2, 3, 4, 5], 1, async (i) => {
    started.push(i);
    if (i === 2) throw new Error('store down');
  }), /store down/);
  assert.deepEqual(started, [1, 2]);
});

test('no items: resolves at once', async () => {
  await forEachInParallel([], 8, async () => assert.fail('not called'));
});
