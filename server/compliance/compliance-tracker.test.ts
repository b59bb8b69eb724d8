import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SiteCompliance, type ComplianceTransition } from './compliance-tracker.js';

const params = { windowMs: 30_000, tolerance: 0.05, graceMs: 60_000, hysteresis: 0.02, closeAfterMs: 30_000 };

function feed(site: SiteCompliance, from: number, to: number, kw: number, alloc = 1000, step = 10_000): ComplianceTransition[] {
  const out: ComplianceTransition[] = [];
  for (let ts = from; ts <= to; ts += step) {
    const t = site.observe(ts, kw, alloc);
    if (t) out.push(t);
  }
  return out;
}

test('a site under its allocation never opens a violation', () => {
  const site = new SiteCompliance(params);
  assert.deepEqual(feed(site, 0, 600_000, 1040), []);
  assert.equal(site.snapshot().status, 'ok');
});

test('a violation opens only after the grace period above the tolerance line', () => {
  const site = new SiteCompliance(params);
  feed(site, 0, 100_000, 900);
  const early = feed(site, 110_000, 160_000, 1300);
  assert.deepEqual(early, [], 'within the grace period nothing opens');
  assert.equal(site.snapshot().status, 'over');
  const later = feed(site, 170_000, 250_000, 1300);
  assert.equal(later.length, 1);
  assert.equal(later[0]!.type, 'opened');
  assert.ok(later[0]!.violation.openedAt >= 110_000 && later[0]!.violation.openedAt <= 130_000);
  assert.equal(later[0]!.violation.peakKw, 1300);
  assert.equal(site.snapshot().status, 'violation');
});

test('a short spike averaged out by the window does not open', () => {
  const site = new SiteCompliance(params);
  feed(site, 0, 100_000, 900);
  assert.deepEqual(feed(site, 110_000, 110_000, 1500), []);
  assert.deepEqual(feed(site, 120_000, 400_000, 900), []);
});

test('the violation closes with hysteresis and records duration and energy over allocation', () => {
  const site = new SiteCompliance(params);
  feed(site, 0, 50_000, 900);
  const opened = feed(site, 60_000, 200_000, 1200);
  assert.equal(opened[0]?.type, 'opened');
  // 1040 kW sits between the close line (1030) and the threshold (1050): stays open.
  assert.deepEqual(feed(site, 210_000, 400_000, 1040), []);
  assert.equal(site.snapshot().status, 'violation');
  const closed = feed(site, 410_000, 600_000, 800);
  assert.equal(closed.length, 1);
  const c = closed[0]!;
  assert.equal(c.type, 'closed');
  if (c.type !== 'closed') return;
  assert.ok(c.closedAt > 410_000);
  assert.equal(c.violation.peakKw, 1200);
  // 200 kW over for ~140 s + 40 kW over for ~200 s ≈ 7.8 + 2.2 kWh, plus the ramps
  assert.ok(c.violation.energyOverKwh > 9 && c.violation.energyOverKwh < 12, `energy ${c.violation.energyOverKwh}`);
  assert.equal(site.snapshot().status, 'ok');
});

test('sites without an allocation are not judged', () => {
  const site = new SiteCompliance(params);
  assert.deepEqual(feed(site, 0, 600_000, 5000, 0), []);
  assert.equal(site.snapshot().status, 'no_allocation');
});

test('out-of-order (replayed) samples do not change the verdict', () => {
  const site = new SiteCompliance(params);
  feed(site, 100_000, 200_000, 900);
  assert.deepEqual(feed(site, 0, 90_000, 5000), []);
  assert.equal(site.snapshot().status, 'ok');
});
