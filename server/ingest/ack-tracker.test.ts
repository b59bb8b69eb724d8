import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckTracker } from './ack-tracker.js';

test('acks the highest contiguous seq', () => {
  const t = new AckTracker();
  assert.equal(t.commit([1, 2, 3], 0), 3);
  assert.equal(t.commit([4], 0), 4);
});

test('does not ack past a gap until it fills', () => {
  const t = new AckTracker();
  assert.equal(t.commit([1, 2, 4, 5], 0), 2);
  assert.ok(t.hasGap());
  assert.equal(t.commit([6], 10), 2);
  assert.equal(t.commit([3], 20), 6);
  assert.ok(!t.hasGap());
});

test('a gap that outlives the timeout is reported and skipped', () => {
  const t = new AckTracker(0, [], 1000);
  t.commit([1, 5, 6], 100);
  assert.equal(t.expireGap(500), null);
  assert.deepEqual(t.expireGap(1200), { fromSeq: 2, toSeq: 4 });
  assert.equal(t.state.acked, 6);
});

test('duplicates of already acked seqs keep the ack where it is', () => {
  const t = new AckTracker(10);
  assert.equal(t.commit([3, 10], 0), 10);
});

test('resumes from a stored ack plus committed seqs found in the log', () => {
  const t = new AckTracker(5, [6, 7, 9]);
  assert.equal(t.state.acked, 7);
  assert.equal(t.commit([8], 0), 9);
});

test('a session first seen mid-way waits on its missing start', () => {
  const t = new AckTracker(0, [], 1000);
  assert.equal(t.commit([40, 41], 0), 0);
  assert.deepEqual(t.expireGap(2000), { fromSeq: 1, toSeq: 39 });
  assert.equal(t.state.acked, 41);
});

test('a gap found in the log on restart gets the whole timeout from when the tracker starts, not from the epoch', () => {
  const now = 1_795_000_000_000;
  const t = new AckTracker(1, [3, 4, 5], 60_000);
  assert.equal(t.expireGap(now), null);
  assert.equal(t.expireGap(now + 59_000), null);
  assert.equal(t.commit([2], now + 59_500), 5);
  assert.equal(t.expireGap(now + 61_000), null);
});

test('a new session whose first batch arrives out of order waits the timeout before skipping', () => {
  const now = 1_795_000_000_000;
  const t = new AckTracker(0, [], 60_000);
  assert.equal(t.commit([3, 4], now), 0);
  assert.equal(t.expireGap(now + 1000), null);
  assert.deepEqual(t.expireGap(now + 60_000), { fromSeq: 1, toSeq: 2 });
});

test('seqs another collector committed fill the holes of this one: the ack covers both shares', () => {
  const t = new AckTracker();
  assert.equal(t.commit([1, 3, 5], 0), 1);
  assert.equal(t.adopt(0, [2, 4, 6], 10), 6);
  assert.ok(!t.hasGap());
});

test('an ack another collector persisted past a gap it gave up on moves this tracker past it, without a gap of its own', () => {
  const t = new AckTracker(0, [], 1000);
  t.commit([1, 6, 8], 0);
  assert.equal(t.adopt(6, [7], 500), 8);
  assert.equal(t.expireGap(5000), null);
});

test('a stored ack below what this tracker acked changes nothing', () => {
  const t = new AckTracker(10);
  assert.equal(t.adopt(4, [12], 0), 10);
  assert.ok(t.hasGap());
});
