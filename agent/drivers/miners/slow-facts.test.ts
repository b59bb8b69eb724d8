import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlowFacts } from './slow-facts.js';

test('slow facts: fetched once, then served from cache until every Nth read', () => {
  const facts = new SlowFacts<string>(4, () => 0);
  const fetched: number[] = [];
  for (let read = 0; read < 12; read++) {
    if (facts.current() === undefined) {
      facts.remember(`v${read}`, read);
      fetched.push(read);
    }
  }
  assert.deepEqual(fetched, [0, 4, 8], 'one full read in four');
});

test('slow facts: mustRefresh and invalidate force a fetch; peek does not count a read', () => {
  const facts = new SlowFacts<number>(10, () => 0);
  assert.equal(facts.current(), undefined);
  facts.remember(1, 0);
  assert.equal(facts.current(), 1);
  assert.equal(facts.current(true), undefined, 'the driver says the cached value cannot be trusted for this read');
  facts.remember(2, 0);
  for (let i = 0; i < 20; i++) assert.equal(facts.peek(), 2);
  assert.equal(facts.current(), 2, 'peeks did not use up the cache');
  facts.invalidate();
  assert.equal(facts.peek(), undefined);
  assert.equal(facts.current(), undefined);
});

test('slow facts: the first refresh is spread over N reads so a fleet does not refresh all at once', () => {
  const firstRefreshAt = (random: number) => {
    const facts = new SlowFacts<number>(10, () => random);
    facts.remember(0, 0);
    let reads = 1;
    while (facts.current() !== undefined) reads++;
    return reads;
  };
  assert.equal(firstRefreshAt(0), 10);
  assert.equal(firstRefreshAt(0.5), 5);
  assert.equal(firstRefreshAt(0.99), 1);
});

test('slow facts: age of the cached value', () => {
  const facts = new SlowFacts<number>();
  assert.equal(facts.ageMs(5000), 0);
  facts.remember(1, 1000);
  assert.equal(facts.ageMs(4000), 3000);
});
