import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, drawOf, hashrateOf, planPowerTargetStep, planRestore, type PtCandidate, type PtSettings } from './power-target-plan.js';

const S: PtSettings = { batchSize: 100, minSleepS: 300, hysteresisKw: 2, tolerance: 0.02, now: 1_000_000 };

function miner(id: string, model: string, fullW: number, fullThs: number, extra: Partial<PtCandidate> = {}): PtCandidate {
  return { id, state: 'hashing', model, fullW, fullThs, targetable: true, sleepable: true, current: { kind: 'full' }, ...extra };
}

function kept(cands: PtCandidate[], settings: Map<string, { kind: string }>): number {
  return cands.reduce((s, c) => s + hashrateOf(c, settings.get(c.id) as never), 0);
}

const fleet = (): PtCandidate[] =>
  Array.from({ length: 10 }, (_, i) => miner(`m${i}`, i % 2 ? 'Antminer S19j Pro' : 'Antminer S19 XP', i % 2 ? 3068 : 3010, i % 2 ? 104 : 140));

test('a 10 % shed turns miners down instead of sleeping any, and keeps more TH/s than sleeping', () => {
  const cands = fleet();
  const total = cands.reduce((s, c) => s + c.fullW, 0);
  const a = allocate(total * 0.1, cands);
  assert.ok(a.savedW >= total * 0.1 - 1, `saved ${a.savedW} W of ${total * 0.1}`);
  assert.ok(!a.short);
  assert.equal([...a.settings.values()].filter((s) => s.kind === 'sleep').length, 0);
  // The same shed by sleep alone: worst J/TH (the S19j Pros) go first, one machine (3.07 kW) covers 3.04 kW.
  const fullThs = cands.reduce((s, c) => s + c.fullThs, 0);
  assert.ok(a.keptThs > fullThs - 104 + 10, `power target keeps ${a.keptThs.toFixed(1)} TH/s vs sleep ${fullThs - 104}`);
});

test('the less efficient model is turned down first and further than the efficient one', () => {
  const cands = fleet();
  const a = allocate(3000, cands, new Set());
  const ratio = (id: string, fullW: number) => {
    const s = a.settings.get(id)!;
    return s.kind === 'target' ? s.w / fullW : s.kind === 'full' ? 1 : 0;
  };
  assert.equal(a.settings.get('m1')?.kind, 'target');
  assert.ok(ratio('m1', 3068) < ratio('m0', 3010));
});

test('targets stop at each model floor; past that, sleeps make up the rest', () => {
  const cands = fleet();
  const total = cands.reduce((s, c) => s + c.fullW, 0);
  const a = allocate(total * 0.6, cands);
  assert.ok(!a.short);
  assert.ok(a.savedW >= total * 0.6 - 1);
  const sleeps = [...a.settings.values()].filter((s) => s.kind === 'sleep').length;
  assert.ok(sleeps > 0, 'some miners sleep at a 60 % shed');
  for (const c of cands) {
    const s = a.settings.get(c.id)!;
    if (s.kind === 'target') assert.ok(s.w >= c.fullW * 0.55 - 1, `${c.id} at ${s.w} W is above its floor`);
  }
});

test('miners without power-target support sleep, the inefficient first when that is cheaper', () => {
  const stock = miner('stock', 'Antminer S19 Pro', 3250, 110, { targetable: false });
  const xp = miner('xp', 'Antminer S21', 3500, 200);
  const a = allocate(3000, [stock, xp]);
  // Sleeping the 29.5 J/TH stock miner costs 110 TH/s; turning the S21 down to its floor saves only 1.2 kW.
  assert.equal(a.settings.get('stock')?.kind, 'sleep');
  assert.equal(a.settings.get('xp')?.kind, 'full');
  assert.equal(kept([stock, xp], a.settings), 200);
});

test('a shed beyond every option is short', () => {
  const a = allocate(10_000, [miner('a', 'S19', 3000, 100, { sleepable: false })]);
  assert.ok(a.short);
  assert.equal(a.settings.get('a')?.kind, 'target');
});

test('step: over the cap lowers in batches, largest sheds first; in the band it holds', () => {
  const cands = fleet();
  const measuredKw = cands.reduce((s, c) => s + drawOf(c), 0) / 1000;
  const cap = measuredKw * 0.8;
  const plan = planPowerTargetStep(cap, cands, measuredKw, { ...S, batchSize: 4 });
  assert.equal(plan.status, 'ramping');
  assert.equal(plan.setTarget.length, 4);
  assert.equal(plan.sleep.length, 0);
  assert.equal(planPowerTargetStep(cap, cands, cap - 1, S).status, 'holding');
  assert.equal(planPowerTargetStep(cap, cands, cap - 1, S).setTarget.length, 0);
});

test('step: converges — after applying the plan the site is under the cap and holds', () => {
  let cands = fleet();
  const base = cands.reduce((s, c) => s + drawOf(c), 0) / 1000;
  const cap = base * 0.75;
  for (let i = 0; i < 10; i++) {
    const measured = cands.reduce((s, c) => s + drawOf(c), 0) / 1000;
    const plan = planPowerTargetStep(cap, cands, measured, { ...S, batchSize: 3 });
    if (plan.setTarget.length + plan.sleep.length + plan.restore.length + plan.wake.length === 0) break;
    cands = cands.map((c) => {
      const t = plan.setTarget.find((x) => x.id === c.id);
      if (t) return { ...c, current: { kind: 'target', w: t.w } };
      if (plan.sleep.includes(c.id)) return { ...c, current: { kind: 'sleep' }, sleptAt: S.now };
      if (plan.restore.includes(c.id)) return { ...c, current: { kind: 'full' } };
      return c;
    });
  }
  const measured = cands.reduce((s, c) => s + drawOf(c), 0) / 1000;
  assert.ok(measured <= cap, `${measured.toFixed(2)} kW under the cap ${cap.toFixed(2)}`);
  assert.equal(planPowerTargetStep(cap, cands, measured, S).status, 'holding');
});

test('step: well under the cap raises targets within the room; miners within minimum sleep stay asleep', () => {
  const cands = [
    miner('a', 'Antminer S19j Pro', 3000, 100, { current: { kind: 'target', w: 1800 } }),
    miner('b', 'Antminer S19j Pro', 3000, 100, { current: { kind: 'sleep' }, sleptAt: S.now - 1000 }),
  ];
  const plan = planPowerTargetStep(100, cands, 2, S);
  assert.equal(plan.status, 'holding');
  assert.deepEqual(plan.restore, ['a']);
  assert.deepEqual(plan.wake, []);
});

test('no measurement fails with a reason', () => {
  const plan = planPowerTargetStep(10, fleet(), null, S);
  assert.equal(plan.status, 'failed');
  assert.equal(plan.reason, 'no_measurement');
});

test('release restores retargeted miners that are awake, in batches', () => {
  const cands = [
    miner('a', 'S19', 3000, 100, { current: { kind: 'target', w: 2000 } }),
    miner('b', 'S19', 3000, 100, { current: { kind: 'sleep' } }),
    miner('c', 'S19', 3000, 100, { current: { kind: 'target', w: 2000 }, state: 'offline' }),
    miner('d', 'S19', 3000, 100, { current: { kind: 'target', w: 2000 } }),
  ];
  assert.deepEqual(planRestore(cands, 1), ['a']);
  assert.deepEqual(planRestore(cands, 5), ['a', 'd']);
});
