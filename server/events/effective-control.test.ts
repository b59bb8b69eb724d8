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

test('a merged limit carries what holds after the first event ends (issue 13: 60 kW for 240 s, 50 kW for 100 s)', () => {
  const c = effectiveControl([wish('a', { value: 60, targetKw: 60, startTs: 0, endTs: 240_000 }), wish('b', { value: 50, targetKw: 50, startTs: 0, endTs: 100_000 })], 10);
  assert.equal(c.value, 50);
  assert.deepEqual(c.schedule.map((s) => [s.from, s.until, s.value]), [[0, 100_000, 50], [100_000, 240_000, 60]]);
  // Agents that ignore `schedule` hold the first ask until the end of the event asking it.
  assert.equal(c.validUntil, 100_000);
});

test('a stricter event starting later becomes its own step; the top level keeps the event in force to its end', () => {
  const c = effectiveControl([wish('a', { value: 60, targetKw: 60, startTs: 0, endTs: 240_000 }), wish('b', { value: 50, targetKw: 50, startTs: 50_000, endTs: 100_000 })], 10);
  assert.deepEqual(c.schedule.map((s) => [s.from, s.until, s.value]), [[0, 50_000, 60], [50_000, 100_000, 50], [100_000, 240_000, 60]]);
  assert.equal(c.validUntil, 240_000);
  assert.deepEqual(c.eventIds, ['a']);
});

test('a gap between events is left out of the schedule (restore in between); equal neighbours join', () => {
  const c = effectiveControl([wish('a', { startTs: 0, endTs: 100 }), wish('b', { startTs: 100, endTs: 200 }), wish('c', { startTs: 300, endTs: 400 })], 10);
  assert.deepEqual(c.schedule.map((s) => [s.from, s.until]), [[0, 200], [300, 400]]);
});

test('a changed later step is a different control (a new revision)', () => {
  const a = effectiveControl([wish('a', { value: 60, targetKw: 60, endTs: 240_000 }), wish('b', { value: 50, targetKw: 50, endTs: 100_000 })], 10);
  const b = effectiveControl([wish('a', { value: 70, targetKw: 70, endTs: 240_000 }), wish('b', { value: 50, targetKw: 50, endTs: 100_000 })], 10);
  assert.ok(!sameControl(a, b));
});
