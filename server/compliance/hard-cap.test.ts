import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hardCapTransition } from './hard-cap.js';

test('the hard cap is exceeded as soon as the average is above it, with no grace', () => {
  assert.equal(hardCapTransition(false, 1001, 1000, 0.02), 'exceeded');
  assert.equal(hardCapTransition(false, 1000, 1000, 0.02), null, 'at the cap is not over it');
  assert.equal(hardCapTransition(true, 1200, 1000, 0.02), null, 'stays exceeded');
});

test('it clears below the hysteresis line only', () => {
  assert.equal(hardCapTransition(true, 990, 1000, 0.02), null, '990 is above 980');
  assert.equal(hardCapTransition(true, 980, 1000, 0.02), 'cleared');
});

test('no cap (or the cap removed) never exceeds and clears what was exceeded', () => {
  assert.equal(hardCapTransition(false, 5000, null, 0.02), null);
  assert.equal(hardCapTransition(true, 5000, null, 0.02), 'cleared');
});
