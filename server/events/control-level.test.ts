import { test } from 'node:test';
import assert from 'node:assert/strict';
import { announcedLevels, levelFor } from './control-level.js';

const both = ['sleep', 'power_target'];

test('auto: power target where announced and not an emergency, sleep otherwise', () => {
  assert.equal(levelFor('auto', { mode: 'max_kw', priority: 'normal' }, both), 'power_target');
  assert.equal(levelFor('auto', { mode: 'max_kw', priority: 'high' }, both), 'power_target');
  assert.equal(levelFor('auto', { mode: 'max_kw', priority: 'emergency' }, both), 'sleep');
  assert.equal(levelFor('auto', { mode: 'max_kw', priority: 'normal' }, ['sleep']), 'sleep');
  assert.equal(levelFor('auto', { mode: 'max_kw', priority: 'normal' }, null), 'sleep');
});

test('power_target only to agents that announced it; counts and full always sleep', () => {
  assert.equal(levelFor('power_target', { mode: 'max_kw', priority: 'emergency' }, both), 'power_target');
  assert.equal(levelFor('power_target', { mode: 'max_kw', priority: 'normal' }, ['sleep']), 'sleep');
  assert.equal(levelFor('power_target', { mode: 'sleep_count', priority: 'normal' }, both), 'sleep');
  assert.equal(levelFor('auto', { mode: 'full', priority: 'normal' }, both), 'sleep');
  assert.equal(levelFor('sleep', { mode: 'max_kw', priority: 'normal' }, both), 'sleep');
});

test('levels read from a stored birth, tolerating old and odd ones', () => {
  assert.deepEqual(announcedLevels({ curtail: { levels: ['sleep', 'power_target'] } }), both);
  assert.equal(announcedLevels({ curtail: {} }), null);
  assert.equal(announcedLevels(null), null);
  assert.deepEqual(announcedLevels({ curtail: { levels: ['sleep', 3] } }), ['sleep']);
});
