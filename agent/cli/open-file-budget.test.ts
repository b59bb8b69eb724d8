import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concurrencyWithinOpenFiles } from './open-file-budget.js';

test('concurrency is capped by the open-file limit, two descriptors per miner after a reserve', () => {
  assert.deepEqual(concurrencyWithinOpenFiles(1000, { soft: 1024, hard: 4096 }), { concurrency: 480, softLimit: 1024 });
  assert.deepEqual(concurrencyWithinOpenFiles(1000, { soft: 4096, hard: 4096 }), { concurrency: 1000 });
  assert.deepEqual(concurrencyWithinOpenFiles(16, { soft: 1024, hard: 1024 }), { concurrency: 16 });
});

test('a tiny limit still leaves one miner at a time; an unknown or unlimited one leaves the request alone', () => {
  assert.deepEqual(concurrencyWithinOpenFiles(50, { soft: 20, hard: 20 }), { concurrency: 1, softLimit: 20 });
  assert.deepEqual(concurrencyWithinOpenFiles(5000, null), { concurrency: 5000 });
  assert.deepEqual(concurrencyWithinOpenFiles(5000, { soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY }), { concurrency: 5000 });
});
