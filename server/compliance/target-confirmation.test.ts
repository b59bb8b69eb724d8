import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeTarget, type MeasuredSite } from './target-confirmation.js';

const site = (kw: number, revision: number | null = 7, hashing = 10, sleeping = 0): MeasuredSite => ({ kw, counts: { hashing, sleeping, total: 10 }, revision });
const target = (state: 'sent' | 'accepted' | 'holding' | 'confirmed' | 'failed' | 'released' | 'pending', over: Partial<{ mode: 'max_kw' | 'full' | 'sleep_count'; targetKw: number; revision: number; value: number | null; baselineKw: number }> = {}) =>
  ({ state, mode: 'max_kw' as const, targetKw: 1000, revision: 7, value: null, baselineKw: 3000, ...over });

test('a sent target confirms only once telemetry runs under its revision and measures within tolerance', () => {
  assert.equal(judgeTarget(target('sent'), site(900, 6), 7, 0.05), null, 'older revision in telemetry');
  assert.deepEqual(judgeTarget(target('sent'), site(900, 7), 7, 0.05), { state: 'confirmed', achievedKw: 900, changed: true });
  assert.equal(judgeTarget(target('sent'), site(1100, 7), 7, 0.05), null, 'above 1000 × 1.05 + 1');
  assert.deepEqual(judgeTarget(target('holding'), site(1050, null), 7, 0.05)?.state, 'confirmed', 'a holding report stands for the revision; 1050 ≤ 1051');
  assert.equal(judgeTarget(target('holding'), site(900), 8, 0.05), null, 'a newer control superseded this target');
});

test('a confirmed target regresses to holding when draw rises beyond tolerance, and confirms again when it falls back', () => {
  const stays = judgeTarget(target('confirmed'), site(1040), 7, 0.05);
  assert.deepEqual(stays, { state: 'confirmed', achievedKw: 1040, changed: false }, 'within tolerance: stays, achieved follows');
  const regressed = judgeTarget(target('confirmed'), site(1300), 7, 0.05);
  assert.deepEqual(regressed, { state: 'holding', achievedKw: 1300, changed: true });
  assert.equal(judgeTarget(target('holding'), site(1300), 7, 0.05), null, 'still above: nothing to write');
  assert.deepEqual(judgeTarget(target('holding'), site(950), 7, 0.05), { state: 'confirmed', achievedKw: 950, changed: true });
});

test('full curtailment holds once nothing hashes, whatever the meter shows', () => {
  assert.equal(judgeTarget(target('accepted', { mode: 'full', targetKw: 0 }), site(40, 7, 0), 7, 0.05)?.state, 'confirmed');
  assert.equal(judgeTarget(target('confirmed', { mode: 'full', targetKw: 0 }), site(40, 7, 3), 7, 0.05)?.state, 'holding', 'miners woke up');
});

test('pending, failed and released targets are not judged from telemetry', () => {
  for (const s of ['pending', 'failed', 'released'] as const) assert.equal(judgeTarget(target(s), site(0), 7, 0.05), null, s);
});

test('a sleep_count target of every machine confirms from machines asleep, though sleeping miners and overhead still draw kW', () => {
  // The demo's case: 10 machines at 3 kW planned to 0 kW; asleep they and the site overhead still draw 3.5 kW.
  const t = target('holding', { mode: 'sleep_count', value: 10, targetKw: 0, baselineKw: 30 });
  assert.equal(judgeTarget(t, site(3.5, 7, 0, 10), 7, 0.05)?.state, 'confirmed');
  assert.equal(judgeTarget(t, site(3.5, 7, 1, 9), 7, 0.05), null, 'one machine still hashing');
  assert.equal(judgeTarget(t, site(3.5, 7, 0, 6), 7, 0.05), null, 'four are offline, not asleep');
  assert.equal(judgeTarget(t, site(26, 7, 0, 10), 7, 0.05), null, 'draw neither near the plan (0 + 1 + 10 × 0.3) nor 0.5 kW per machine below the 30 kW baseline');
  assert.equal(judgeTarget(t, site(8, 7, 0, 10), 7, 0.05)?.state, 'confirmed', 'overhead above the plan, but 22 kW below the baseline');
});

test('a sleep_count confirms when the plan overestimated each machine, as long as the draw fell', () => {
  // Planned at 77 kW with miners still waking: 10 machines at 3.4 kW each, but they drew 1 kW.
  const t = target('holding', { mode: 'sleep_count', value: 10, targetKw: 43.8, baselineKw: 77.4 });
  assert.equal(judgeTarget(t, { kw: 67.6, counts: { hashing: 20, sleeping: 10, total: 30 }, revision: 7 }, 7, 0.05)?.state, 'confirmed');
  assert.equal(judgeTarget(t, { kw: 76, counts: { hashing: 20, sleeping: 10, total: 30 }, revision: 7 }, 7, 0.05), null, 'the draw did not fall');
});

test('a partial sleep_count confirms when that many machines sleep, with the draw to match', () => {
  const t = target('sent', { mode: 'sleep_count', value: 4, targetKw: 18, baselineKw: 30 });
  assert.equal(judgeTarget(t, site(19, 7, 7, 3), 7, 0.05), null, 'only 3 asleep');
  assert.equal(judgeTarget(t, site(19, 7, 6, 4), 7, 0.05)?.state, 'confirmed');
  assert.equal(judgeTarget(target('confirmed', { mode: 'sleep_count', value: 4, targetKw: 18, baselineKw: 30 }), site(30, 7, 10, 0), 7, 0.05)?.state, 'holding', 'woke up again');
});

test('machines asleep before the event do not confirm a sleep_count: the draw still shows the ones meant to sleep hashing', () => {
  const t = target('accepted', { mode: 'sleep_count', value: 5, targetKw: 15, baselineKw: 30 });
  const before: MeasuredSite = { kw: 30, counts: { hashing: 10, sleeping: 5, total: 15 }, revision: 7 };
  assert.equal(judgeTarget(t, before, 7, 0.05), null);
  const after: MeasuredSite = { kw: 16, counts: { hashing: 5, sleeping: 10, total: 15 }, revision: 7 };
  assert.equal(judgeTarget(t, after, 7, 0.05)?.state, 'confirmed');
});
