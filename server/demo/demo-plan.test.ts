import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocationFor, planDemoSites } from './demo-plan.js';

test('five sites share the miners exactly, with one grey and one over-allocation site', () => {
  const plan = planDemoSites({ sites: 5, miners: 300 });
  assert.equal(plan.length, 5);
  assert.equal(plan.reduce((s, p) => s + p.miners, 0), 300);
  assert.equal(plan.filter((p) => p.role === 'unregistered').length, 1);
  assert.equal(plan.filter((p) => p.role === 'over-allocation').length, 1);
  assert.equal(new Set(plan.map((p) => p.id)).size, 5);
  assert.ok(plan.every((p) => p.miners >= 1 && /^[a-z0-9][a-z0-9-]{0,62}$/.test(p.id)));
  assert.ok(new Set(plan.flatMap((p) => Object.keys(p.mix))).size === 4, 'all four firmwares appear');
});

test('more sites repeat the cast as registered sites; two sites still show a violation', () => {
  const many = planDemoSites({ sites: 12, miners: 1000, idPrefix: 't1-' });
  assert.equal(many.reduce((s, p) => s + p.miners, 0), 1000);
  assert.equal(new Set(many.map((p) => p.id)).size, 12);
  assert.ok(many.every((p) => p.id.startsWith('t1-')));
  assert.equal(many.filter((p) => p.role === 'unregistered').length, 1);
  const registered = many.filter((p) => p.role !== 'unregistered');
  assert.ok(registered.every((p) => !/grey|barn/i.test(`${p.id} ${p.name}`)), `registered names: ${registered.map((p) => p.id).join(', ')}`);
  assert.ok(many.every((p) => p.tariffPerKwh >= 0.0023), 'no site pays less than the grey fee');
  assert.equal(new Set(planDemoSites({ sites: 40, miners: 4000 }).map((p) => p.id)).size, 40);
  const two = planDemoSites({ sites: 2, miners: 10 });
  assert.ok(two.some((p) => p.role === 'over-allocation'));
});

test('allocations: over-allocation site below its draw, others above, grey none', () => {
  const plan = planDemoSites({ sites: 5, miners: 300 });
  for (const p of plan) {
    const a = allocationFor(p, 243.7);
    if (p.role === 'over-allocation') assert.ok(a < 243.7 * 0.9, `${a} clearly below the draw`);
    else if (p.role === 'unregistered') assert.equal(a, 0);
    else assert.ok(a > 243.7 * 1.1, `${a} leaves headroom`);
  }
});

test('bad sizes are usage errors that name the flag', () => {
  assert.throws(() => planDemoSites({ sites: 0, miners: 10 }), /--sites/);
  assert.throws(() => planDemoSites({ sites: 5, miners: 3 }), /--miners/);
  assert.throws(() => planDemoSites({ sites: 5, miners: 1e6 }), /--miners/);
});
