import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlSchema, type Control } from '../../shared/protocol/index.js';
import { accountSeqs, limitViolations } from './chaos-accounting.js';

test('a seq neither stored nor pending is lost; pending ones are late, not lost', () => {
  const a = accountSeqs([
    { site: 's', agent: 'a', session: 1, stored: new Set([1, 2, 4]), pending: new Set([5]) },
    { site: 's', agent: 'a', session: 2, stored: new Set([1, 2]), pending: new Set() },
  ]);
  assert.equal(a.made, 7);
  assert.equal(a.stored, 5);
  assert.equal(a.pending, 1);
  assert.deepEqual(a.lost, [{ site: 's', agent: 'a', session: 1, seq: 3 }]);
});

const control = (over: Record<string, unknown>) => ControlSchema.parse({
  v: 1, site: 's', agent: 'a', revision: 4, issuedAt: 0, validFrom: 0, validUntil: 100_000, mode: 'max_kw', value: 50,
  rampSeconds: 0, priority: 'normal', reason: 'chaos', eventIds: ['e'], ...over,
}) as Control;

test('draw over an accepted cap after the ramp allowance is a violation, with its peak; during the ramp or after the end it is not', () => {
  const scheduled = control({ schedule: [{ from: 0, until: 100_000, mode: 'max_kw', value: 50, priority: 'normal' }, { from: 100_000, until: 200_000, mode: 'max_kw', value: 60, priority: 'normal' }] });
  const draw = [
    { ts: 5_000, kw: 90 }, // still ramping
    { ts: 40_000, kw: 49 },
    { ts: 120_000, kw: 58 }, // the second step allows 60
    { ts: 150_000, kw: 75 }, { ts: 151_000, kw: 80 }, // over the second step
    { ts: 250_000, kw: 90 }, // after the control ended: free
  ];
  const v = limitViolations('s', draw, [{ acceptedAt: 0, control: scheduled }], [], { rampAllowanceMs: 30_000, tolerance: 0.05 });
  assert.deepEqual(v, [{ site: 's', from: 150_000, until: 151_000, peakKw: 80, capKw: 60, revision: 4 }]);
});

test('an agent restart gives the site the ramp allowance again; before any acceptance there is no limit', () => {
  const draw = [{ ts: 50_000, kw: 90 }, { ts: 70_000, kw: 90 }];
  assert.equal(limitViolations('s', draw, [{ acceptedAt: 60_000, control: control({}) }], [], { rampAllowanceMs: 30_000, tolerance: 0.05 }).length, 0);
  assert.equal(limitViolations('s', [{ ts: 95_000, kw: 90 }], [{ acceptedAt: 0, control: control({}) }], [80_000], { rampAllowanceMs: 30_000, tolerance: 0.05 }).length, 0);
  assert.equal(limitViolations('s', [{ ts: 95_000, kw: 90 }], [{ acceptedAt: 0, control: control({}) }], [], { rampAllowanceMs: 30_000, tolerance: 0.05 }).length, 1);
});
