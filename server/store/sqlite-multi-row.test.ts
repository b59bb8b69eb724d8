import { test } from 'node:test';
import assert from 'node:assert/strict';
import { powerOfTwoChunks } from './sqlite-multi-row.js';

test('powerOfTwoChunks cuts rows into power-of-two chunks, largest first, none over the maximum, every row once in order', () => {
  const rows = Array.from({ length: 300 }, (_, i) => i);
  const chunks = powerOfTwoChunks(rows, 128);
  assert.deepEqual(chunks.map((c) => c.length), [128, 128, 32, 8, 4]);
  assert.deepEqual(chunks.flat(), rows);
  assert.deepEqual(powerOfTwoChunks(rows.slice(0, 100), 128).map((c) => c.length), [64, 32, 4]);
  assert.deepEqual(powerOfTwoChunks([7], 128), [[7]]);
  assert.deepEqual(powerOfTwoChunks([], 128), []);
  // However many sizes of batch come, the chunk sizes met stay the powers of two up to the maximum.
  const sizes = new Set<number>();
  for (let n = 1; n <= 1000; n++) for (const c of powerOfTwoChunks(rows.slice(0, Math.min(n, 300)), 128)) sizes.add(c.length);
  assert.deepEqual([...sizes].sort((a, b) => a - b), [1, 2, 4, 8, 16, 32, 64, 128]);
});
