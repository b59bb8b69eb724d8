import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayFee, tariffAt } from './day-fee.js';

const DAY0 = Date.UTC(2022, 0, 10);
const H = 3_600_000;
const flat = (kwhPerHour: number) => Array.from({ length: 24 }, (_, i) => ({ bucket: DAY0 + i * H, kwh: kwhPerHour }));

test('a tariff change at noon bills the morning at the old tariff and the afternoon at the new one', () => {
  const periods = [{ effectiveFrom: 0, tariffPerKwh: 0.001 }, { effectiveFrom: DAY0 + 12 * H, tariffPerKwh: 0.0023 }];
  const r = dayFee(DAY0, 2400, flat(100), periods);
  assert.equal(Math.round(r.fee * 1e6) / 1e6, 1.2 + 2.76);
  assert.equal(Math.round(r.tariffPerKwh * 1e6) / 1e6, 0.00165);
});

test('a change inside an hour counts for the part of the hour after it', () => {
  const periods = [{ effectiveFrom: 0, tariffPerKwh: 0 }, { effectiveFrom: DAY0 + 12.5 * H, tariffPerKwh: 1 }];
  const r = dayFee(DAY0, 2400, flat(100), periods);
  assert.equal(r.fee, 1150); // half of hour 12 plus hours 13-23
});

test('without a change that day the day is billed at the tariff in force; a later change does not reach back', () => {
  const periods = [{ effectiveFrom: 0, tariffPerKwh: 0.002 }, { effectiveFrom: DAY0 + 2 * 86_400_000, tariffPerKwh: 9 }];
  assert.deepEqual(dayFee(DAY0, 1000, [], periods), { fee: 2, tariffPerKwh: 0.002 });
  assert.equal(tariffAt(periods, DAY0 + 3 * 86_400_000), 9);
  assert.equal(tariffAt([], DAY0), 0);
});

test('minute buckets bill a change at 12:30 exactly', () => {
  const periods = [{ effectiveFrom: 0, tariffPerKwh: 0 }, { effectiveFrom: DAY0 + 12.5 * H, tariffPerKwh: 1 }];
  const minutes = [{ bucket: DAY0 + 12.5 * H - 60_000, kwh: 10 }, { bucket: DAY0 + 12.5 * H, kwh: 10 }];
  assert.equal(dayFee(DAY0, 20, minutes, periods, 60_000).fee, 10);
});

test('a metered day total is split by the hours energy, not replaced by it', () => {
  const periods = [{ effectiveFrom: 0, tariffPerKwh: 1 }, { effectiveFrom: DAY0 + 12 * H, tariffPerKwh: 3 }];
  const r = dayFee(DAY0, 4800, flat(100), periods); // counter says twice the integral
  assert.equal(r.fee, 2400 * 1 + 2400 * 3);
});
