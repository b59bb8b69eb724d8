import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlReportSchema } from './schemas/control-report.js';
import { isPlainValidReport } from './report-check.js';
import { decode } from './codec.js';

type Mut = (r: Record<string, unknown>) => void;
const base = () => ({ v: 1, site: 'site-1', agent: 'a1', revision: 7, status: 'accepted', ts: 1_700_000_000_000 }) as Record<string, unknown>;

// Each case, valid or not per the schema: the compiled check must never accept what zod refuses
// nor anything zod would change (unknown keys), and should accept the plain valid shapes.
const mutations: Array<[string, Mut, boolean]> = [
  ['as is', () => {}, true],
  ['received', (r) => { r.status = 'received'; }, true],
  ['with kW, detail and seq', (r) => { r.achievedKw = 812.5; r.targetKw = null; r.detail = 'ok'; r.session = 3; r.seq = 9; r.minersAsleep = 12; }, true],
  ['rejected with a reason', (r) => { r.status = 'rejected'; r.reason = 'bad_signature'; }, true],
  ['failed with a reason', (r) => { r.status = 'failed'; r.reason = 'miners_unresponsive'; }, true],
  ['rejected without a reason', (r) => { r.status = 'rejected'; }, false],
  ['unknown status', (r) => { r.status = 'done'; }, false],
  ['unknown reason', (r) => { r.reason = 'bored'; }, false],
  ['unknown key', (r) => { r.extra = 1; }, false],
  ['session without seq', (r) => { r.session = 1; }, false],
  ['seq 0', (r) => { r.session = 1; r.seq = 0; }, false],
  ['fractional revision', (r) => { r.revision = 1.5; }, false],
  ['negative revision', (r) => { r.revision = -1; }, false],
  ['negative kW', (r) => { r.achievedKw = -1; }, false],
  ['kW as text', (r) => { r.achievedKw = '5'; }, false],
  ['detail too long', (r) => { r.detail = 'x'.repeat(501); }, false],
  ['bad site id', (r) => { r.site = 'Bad'; }, false],
  ['version 2', (r) => { r.v = 2; }, false],
  ['no ts', (r) => { delete r.ts; }, false],
  ['huge ts', (r) => { r.ts = 2 ** 60; }, false],
];

for (const [name, mutate, plain] of mutations) {
  test(`report check agrees with the schema: ${name}`, () => {
    const r = base();
    mutate(r);
    const zod = ControlReportSchema.safeParse(r);
    const fast = isPlainValidReport(r);
    if (fast) {
      assert.ok(zod.success, 'the check accepted what the schema refuses');
      assert.deepEqual(zod.data, r, 'the schema would have changed it');
    }
    assert.equal(fast, plain);
  });
}

test('a report the check refuses still gets the schema\'s worded error from decode', () => {
  const r = { ...base(), status: 'rejected' };
  const d = decode('hashwatt/v1/site-1/a1/control/report', JSON.stringify(r));
  assert.equal(d.ok, false);
  assert.match(d.ok ? '' : d.error.message, /reason: rejected and failed reports name a reason/);
});
