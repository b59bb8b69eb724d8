import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlSchema, type Control } from '../../shared/protocol/index.js';
import { edgesOf, inForce, stepAt } from './control-steps.js';

const base = {
  v: 1, site: 's1', agent: 'a1', revision: 3, issuedAt: 0, validFrom: 0, validUntil: 100_000, mode: 'max_kw', value: 50,
  rampSeconds: 0, priority: 'normal', reason: 'test', eventIds: ['a', 'b'],
} as const;
const scheduled = ControlSchema.parse({
  ...base,
  schedule: [
    { from: 0, until: 100_000, mode: 'max_kw', value: 50, priority: 'normal' },
    { from: 100_000, until: 240_000, mode: 'max_kw', value: 60, priority: 'normal' },
    { from: 300_000, until: 360_000, mode: 'full', value: null, priority: 'emergency' },
  ],
}) as Control;

test('each step holds in its interval, the gap restores, the end expires', () => {
  assert.deepEqual(stepAt(scheduled, 50_000), { kind: 'ask', ask: { mode: 'max_kw', value: 50, priority: 'normal', from: 0, until: 100_000 } });
  assert.deepEqual(stepAt(scheduled, 150_000), { kind: 'ask', ask: { mode: 'max_kw', value: 60, priority: 'normal', from: 100_000, until: 240_000 } });
  assert.deepEqual(stepAt(scheduled, 250_000), { kind: 'none', why: 'gap' });
  assert.deepEqual(stepAt(scheduled, 310_000), { kind: "ask", ask: { mode: "full", value: null, priority: "emergency", from: 300_000, until: 360_000 } });
  assert.deepEqual(stepAt(scheduled, 360_000), { kind: 'none', why: 'expired' });
  assert.ok(inForce(scheduled, 239_999));
  assert.deepEqual(edgesOf(scheduled), [0, 100_000, 240_000, 300_000, 360_000]);
});

test('without a schedule the top level holds from validFrom to validUntil', () => {
  const plain = ControlSchema.parse({ ...base, validFrom: 10 }) as Control;
  assert.deepEqual(stepAt(plain, 5), { kind: 'none', why: 'pending' });
  assert.equal(stepAt(plain, 10).kind, 'ask');
  assert.deepEqual(stepAt(plain, 100_000), { kind: 'none', why: 'expired' });
});

test('the schema refuses overlapping steps and a first step that differs from the top level', () => {
  const overlap = ControlSchema.safeParse({ ...base, schedule: [{ from: 0, until: 100, mode: 'max_kw', value: 50, priority: 'normal' }, { from: 50, until: 200, mode: 'full', value: null, priority: 'normal' }] });
  assert.ok(!overlap.success);
  assert.match(JSON.stringify(overlap.error.issues), /step 1 starts before step 0 ends/);
  const differs = ControlSchema.safeParse({ ...base, schedule: [{ from: 0, until: 100, mode: 'max_kw', value: 40, priority: 'normal' }] });
  assert.ok(!differs.success);
  assert.match(JSON.stringify(differs.error.issues), /first step must ask what the control asks/);
});
