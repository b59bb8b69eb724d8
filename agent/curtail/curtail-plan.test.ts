import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderForSleep, orderForWake, planStep, type Candidate, type PlanSettings } from './curtail-plan.js';

const S: PlanSettings = { strategy: 'least_efficient_first', batchSize: 3, minSleepS: 300, emergency: false, hysteresisKw: 2, tolerance: 0.02, now: 1_000_000 };

function miner(id: string, jth: number, kw = 3, extra: Partial<Candidate> = {}): Candidate {
  return { id, state: 'hashing', expectedKw: kw, jth, group: 'net:a', sleepCapable: true, asleepByAgent: false, neverCurtail: false, refusedSleep: false, ...extra };
}

test('least_efficient_first sleeps the worst J/TH first; unknown efficiency last', () => {
  const order = orderForSleep([miner('a', 20), miner('b', 35), miner('c', 28), miner('d', NaN, 3, { jth: null })], 'least_efficient_first');
  assert.deepEqual(order.map((c) => c.id), ['b', 'c', 'a', 'd']);
});

test('most_power_first and spread', () => {
  assert.deepEqual(orderForSleep([miner('a', 20, 2), miner('b', 30, 5), miner('c', 25, 3)], 'most_power_first').map((c) => c.id), ['b', 'c', 'a']);
  const spread = orderForSleep(
    [miner('a1', 30, 3, { group: 'rack:a' }), miner('a2', 29, 3, { group: 'rack:a' }), miner('b1', 20, 3, { group: 'rack:b' }), miner('b2', 19, 3, { group: 'rack:b' })],
    'spread',
  );
  assert.deepEqual(spread.map((c) => c.id), ['a1', 'b1', 'a2', 'b2']);
});

test('never curtailed, refused, incapable, offline and already asleep miners are not candidates', () => {
  const order = orderForSleep(
    [miner('a', 40, 3, { neverCurtail: true }), miner('b', 40, 3, { refusedSleep: true }), miner('c', 40, 3, { sleepCapable: false }), miner('d', 40, 3, { state: 'offline' }), miner('e', 40, 3, { asleepByAgent: true }), miner('f', 10)],
    'least_efficient_first',
  );
  assert.deepEqual(order.map((c) => c.id), ['f']);
});

test('sleep_count acts in batches and holds when met; replaces a refusing miner', () => {
  const fleet = [miner('a', 20), miner('b', 35), miner('c', 28), miner('d', 30), miner('e', 25)];
  assert.deepEqual(planStep({ kind: 'count', count: 4 }, fleet, null, S), { sleep: ['b', 'd', 'c'], wake: [], status: 'ramping' });
  const after = fleet.map((m) => (['b', 'c'].includes(m.id) ? { ...m, asleepByAgent: true, sleptAt: S.now } : m.id === 'd' ? { ...m, refusedSleep: true } : m));
  assert.deepEqual(planStep({ kind: 'count', count: 4 }, after, null, S).sleep, ['e', 'a']);
  const met = fleet.map((m) => ({ ...m, asleepByAgent: m.id !== 'a', sleptAt: S.now }));
  assert.equal(planStep({ kind: 'count', count: 4 }, met, null, S).status, 'holding');
});

test('not enough miners is a failure naming insufficient capacity', () => {
  const plan = planStep({ kind: 'count', count: 3 }, [miner('a', 20, 3, { asleepByAgent: true })], null, S);
  assert.equal(plan.status, 'failed');
  assert.equal(plan.reason, 'insufficient_capacity');
});

test('restore wakes most efficient first, only miners the agent slept, after the minimum sleep time unless emergency', () => {
  const fleet = [
    miner('a', 30, 3, { asleepByAgent: true, sleptAt: S.now - 400_000 }),
    miner('b', 20, 3, { asleepByAgent: true, sleptAt: S.now - 400_000 }),
    miner('c', 25, 3, { asleepByAgent: true, sleptAt: S.now - 10_000 }),
    miner('x', 10, 3, { state: 'sleeping' }),
  ];
  assert.deepEqual(planStep({ kind: 'none' }, fleet, null, S).wake, ['b', 'a']);
  assert.deepEqual(orderForWake(fleet, S).waiting, 1);
  assert.deepEqual(planStep({ kind: 'none' }, fleet, null, { ...S, emergency: true }).wake, ['b', 'c', 'a']);
  const recent = fleet.filter((m) => m.id === 'c' || m.id === 'x');
  assert.equal(planStep({ kind: 'none' }, recent, null, S).status, 'waiting');
  assert.equal(planStep({ kind: 'none' }, [miner('x', 10, 3, { state: 'sleeping' })], null, S).status, 'released');
});

test('max_kw sheds the excess to the middle of the hysteresis band and wakes within it', () => {
  const fleet = [miner('a', 20, 3), miner('b', 35, 3), miner('c', 28, 3), miner('d', 30, 3)];
  // 100 kW measured, cap 95: shed 95 - 1 = 94 → 6 kW → two miners.
  assert.deepEqual(planStep({ kind: 'cap', capKw: 95 }, fleet, 100, S).sleep, ['b', 'd']);
  // Inside the band: hold.
  assert.deepEqual(planStep({ kind: 'cap', capKw: 95 }, fleet, 94, S), { sleep: [], wake: [], status: 'holding', targetKw: 95 });
  // Well below: wake what fits under cap - hysteresis/2.
  const slept = fleet.map((m) => ({ ...m, asleepByAgent: true, sleptAt: 0 }));
  assert.deepEqual(planStep({ kind: 'cap', capKw: 95 }, slept, 88, S).wake, ['a', 'c']);
  assert.equal(planStep({ kind: 'cap', capKw: 95 }, fleet, null, S).reason, 'no_measurement');
});

test('emergency: every sleep the target needs in one step; wakes still ramp in batches', () => {
  const fleet = [miner('a', 20), miner('b', 35), miner('c', 28), miner('d', 30), miner('e', 25)];
  const urgent = { ...S, emergency: true };
  assert.deepEqual(planStep({ kind: 'count', count: 4 }, fleet, null, urgent).sleep, ['b', 'd', 'c', 'e']);
  assert.equal(planStep({ kind: 'all' }, fleet, null, urgent).sleep.length, 5);
  assert.equal(planStep({ kind: 'cap', capKw: 1 }, fleet, 15, urgent).sleep.length, 5, 'a cap far below the draw: all five at once');
  const asleep = fleet.map((m) => ({ ...m, asleepByAgent: true, sleptAt: S.now }));
  assert.equal(planStep({ kind: 'none' }, asleep, null, urgent).wake.length, S.batchSize);
});
