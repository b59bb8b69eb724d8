import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sample, counts } from '../testing/test-publisher.js';
import { DEFAULT_BOUNDS, MAX_SEQ, sampleProblem, seqProblem } from './plausibility.js';

const now = 1_795_000_000_000;

test('a sample stamped far ahead of the clock or before the outbox could hold it is implausible_time, naming the field', () => {
  assert.match(sampleProblem(sample(Date.UTC(2500, 0, 1), 1), 0, now, DEFAULT_BOUNDS)!.message, /samples\.0\.ts 2500-01-01.* ahead of the collector's clock/);
  assert.equal(sampleProblem(sample(0, 1), 3, now, DEFAULT_BOUNDS)!.reason, 'implausible_time');
  assert.equal(sampleProblem(sample(now + 299_000, 1), 0, now, DEFAULT_BOUNDS), null, 'a few minutes of clock drift is fine');
  assert.equal(sampleProblem(sample(now - 29 * 86_400_000, 1), 0, now, DEFAULT_BOUNDS), null, 'a backlog replayed after a long outage is fine');
});

test('a million miners or gigawatts on one agent are implausible_value; the bounds are configurable', () => {
  assert.match(sampleProblem(sample(now, 10, { counts: counts(1_000_000) }), 0, now, DEFAULT_BOUNDS)!.message, /counts\.total 1000000 is over 100000/);
  assert.match(sampleProblem(sample(now, 3_500_000), 0, now, DEFAULT_BOUNDS)!.message, /3500000 kW/);
  assert.equal(sampleProblem(sample(now, 3_500_000), 0, now, { ...DEFAULT_BOUNDS, maxKwPerAgent: 5_000_000 }), null);
});

test('a seq may not jump far past what the session has shown, nor pass 2^40', () => {
  assert.equal(seqProblem(2 ** 53 - 1, 0, DEFAULT_BOUNDS)!.reason, 'seq_jump');
  assert.equal(seqProblem(MAX_SEQ, 0, DEFAULT_BOUNDS), null, 'a session first seen mid-way is taken where it is');
  assert.match(seqProblem(2_000_100, 100, DEFAULT_BOUNDS)!.message, /jumps 2000000 past 100/);
  assert.equal(seqProblem(101, 100, DEFAULT_BOUNDS), null);
});
