import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveControl, sameControl, type SiteWish } from './effective-control.js';

const wish = (eventId: string, over: Partial<SiteWish>): SiteWish => ({ eventId, priority: 'normal', mode: 'max_kw', value: 500, targetKw: 500, startTs: 0, endTs: 10_000, reason: eventId, ...over });

test('no wishes means none (restore)', () => {
  const c = effectiveControl([], 100);
  assert.equal(c.mode, 'none');
  assert.ok(c.validUntil > c.validFrom);
});

test('the most restrictive of equal priority wins, every live event is listed', () => {
  const c = effectiveControl([wish('e1', { value: 800, targetKw: 800 }), wish('e2', { value: 300, targetKw: 300 })], 100);
  assert.equal(c.value, 300);
  assert.deepEqual(c.eventIds, ['e1', 'e2']);
});

test('a higher priority wins even when less restrictive', () => {
  const c = effectiveControl([wish('e1', { value: 300, targetKw: 300 }), wish('e2', { priority: 'emergency', value: 800, targetKw: 800, endTs: 5_000 })], 100);
  assert.equal(c.value, 800);
  assert.equal(c.priority, 'emergency');
  assert.equal(c.validUntil, 5_000);
});

test('full beats a kW cap at the same priority; ended events drop out', () => {
  assert.equal(effectiveControl([wish('e1', {}), wish('e2', { mode: 'full', value: null, targetKw: 0 })], 100).mode, 'full');
  assert.equal(effectiveControl([wish('e1', { endTs: 50 })], 100).mode, 'none');
});

test('a future event is published ahead with its validFrom', () => {
  const c = effectiveControl([wish('e1', { startTs: 5_000 })], 100);
  assert.equal(c.mode, 'max_kw');
  assert.equal(c.validFrom, 5_000);
});

test('sameControl ignores the validity of two none controls', () => {
  assert.ok(sameControl(effectiveControl([], 1), effectiveControl([], 2)));
  assert.ok(!sameControl(effectiveControl([wish('e1', {})], 1), effectiveControl([], 1)));
});
