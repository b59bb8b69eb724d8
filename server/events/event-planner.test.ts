import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planEvent, type PlanSite } from './event-planner.js';

const site = (site: string, kw: number, registered = true, tier = 1, region = 'north', hashing = 100): PlanSite => ({ siteId: site.length, site, region, registered, tier, kw, hashing });

test('reduce_by_kw sheds the unregistered site first, then registered ones pro rata', () => {
  const sites = [site('a', 1000), site('b', 3000), site('grey', 500, false)];
  const plan = planEvent({ kind: 'reduce_by_kw', value: 1300, scope: { all: true } }, sites);
  assert.equal(plan.requestedKw, 1300);
  assert.equal(plan.plannedShedKw, 1300);
  const byId = Object.fromEntries(plan.targets.map((t) => [t.site, t]));
  assert.equal(byId.grey!.mode, 'full');
  assert.equal(byId.grey!.shedKw, 500);
  assert.equal(plan.targets[0]!.site, 'grey', 'the grey site comes first in the plan');
  assert.equal(byId.a!.shedKw, 200);
  assert.equal(byId.a!.mode, 'max_kw');
  assert.equal(byId.a!.value, 800);
  assert.equal(byId.b!.shedKw, 600);
  assert.equal(byId.b!.targetKw, 2400);
});

test('a small reduction is taken from the grey sites alone', () => {
  const plan = planEvent({ kind: 'reduce_by_kw', value: 100, scope: { all: true } }, [site('a', 1000), site('g1', 300, false), site('g2', 100, false)]);
  assert.deepEqual(plan.targets.map((t) => [t.site, t.shedKw]), [['g1', 75], ['g2', 25]]);
});

test('registered tiers are shed in order, tier 1 first', () => {
  const plan = planEvent({ kind: 'reduce_by_kw', value: 1500, scope: { all: true } }, [site('t2', 1000, true, 2), site('t1', 1000, true, 1)]);
  const byId = Object.fromEntries(plan.targets.map((t) => [t.site, t]));
  assert.equal(byId.t1!.shedKw, 1000);
  assert.equal(byId.t2!.shedKw, 500);
});

test('no site is asked for more than it draws; the rest is a shortfall', () => {
  const plan = planEvent({ kind: 'reduce_by_kw', value: 5000, scope: { all: true } }, [site('a', 1000), site('b', 500, false)]);
  assert.equal(plan.plannedShedKw, 1500);
  assert.equal(plan.shortfallKw, 3500);
  assert.ok(plan.targets.every((t) => t.mode === 'full' && t.targetKw === 0));
});

test('limit_to_kw sheds the excess of the scope only', () => {
  const plan = planEvent({ kind: 'limit_to_kw', value: 1200, scope: { regions: ['north'] } }, [site('a', 1000), site('b', 1000), site('s', 900, true, 1, 'south')]);
  assert.equal(plan.scopeKw, 2000);
  assert.equal(plan.requestedKw, 800);
  assert.deepEqual(plan.targets.map((t) => t.site).sort(), ['a', 'b']);
});

test('sleep_count splits whole machines, grey first, never more than hashing', () => {
  const plan = planEvent({ kind: 'sleep_count', value: 130, scope: { all: true } }, [site('a', 1000, true, 1, 'n', 100), site('b', 1000, true, 1, 'n', 200), site('g', 100, false, 1, 'n', 10)]);
  const byId = Object.fromEntries(plan.targets.map((t) => [t.site, t.value]));
  assert.equal(byId.g, 10);
  assert.equal((byId.a ?? 0) + (byId.b ?? 0), 120);
  assert.equal(byId.a, 40);
  assert.equal(byId.b, 80);
});

test('a sleep_count asking more machines than hash is short in machines, not in kW', () => {
  const plan = planEvent({ kind: 'sleep_count', value: 4000, scope: { all: true } }, [site('a', 3000, true, 1, 'n', 1000), site('b', 6000, true, 1, 'n', 2000)]);
  assert.deepEqual(plan.machines, { requested: 4000, planned: 3000, shortfall: 1000 });
  assert.equal(plan.shortfallKw, 0, 'no kW figure for machines that do not exist');
  assert.equal(plan.plannedShedKw, 9000);
  assert.deepEqual(plan.targets.map((t) => [t.site, t.value, t.baselineHashing]), [['a', 1000, 1000], ['b', 2000, 2000]]);
});

test('full puts every site of the scope to sleep', () => {
  const plan = planEvent({ kind: 'full', scope: { sites: ['a'] } }, [site('a', 1000), site('b', 1000)]);
  assert.deepEqual(plan.targets.map((t) => [t.site, t.mode, t.targetKw]), [['a', 'full', 0]]);
});

test('sleep_count and full plan what sleeping takes off the meter: each miner draw minus its sleep draw, the agent picks first', () => {
  // 3 hashing miners, least efficient first: 3.4, 3.2, 3.0 kW; each still draws 0.06 kW asleep; 10 kW of overhead.
  const a: PlanSite = { ...site('a', 19.6, true, 1, 'n', 3), savingsKw: [3.34, 3.14, 2.94] };
  const two = planEvent({ kind: 'sleep_count', value: 2, scope: { all: true } }, [a]);
  assert.equal(two.targets[0]!.shedKw, 6.48);
  assert.equal(two.plannedShedKw, 6.48);
  assert.equal(two.requestedKw, 6.48, 'requested is the achievable shed, not the site share of its whole draw (13.07 kW)');
  assert.equal(two.targets[0]!.targetKw, 13.12);
  const full = planEvent({ kind: 'full', scope: { all: true } }, [a]);
  assert.equal(full.plannedShedKw, 9.42, 'the overhead and the sleep draw stay on the meter');
  assert.equal(full.targets[0]!.targetKw, 0);
  // No miner detail yet: the draw shared per hashing miner, as before.
  assert.equal(planEvent({ kind: 'sleep_count', value: 1, scope: { all: true } }, [site('b', 300, true, 1, 'n', 100)]).plannedShedKw, 3);
});
