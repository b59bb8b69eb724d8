import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressAt, apportion, parseCidr, parseFaultRates, parseMix } from './fleet-spec.js';
import { planFleet } from './fleet-layout.js';
import { isAppError } from '../../shared/errors.js';

test('mix and fault strings parse, and bad parts are named', () => {
  assert.deepEqual(parseMix('antminer:40,luxos:20'), { antminer: 40, luxos: 20 });
  assert.deepEqual(parseFaultRates('hung:1,garbage:0.5,ignore-sleep:5'), { hung: 1, garbage: 0.5, ignoreSleep: 5 });
  assert.throws(() => parseMix('bitmain:3'), (e: unknown) => isAppError(e, 'USAGE') && /unknown firmware 'bitmain'/.test(e.message));
  assert.throws(() => parseFaultRates('hung'), /cannot read 'hung'/);
  assert.throws(() => parseFaultRates('melt:3'), /unknown fault 'melt'/);
});

test('apportion splits miners exactly by weight', () => {
  const counts = Object.fromEntries(apportion(101, { antminer: 40, luxos: 20, braiins: 20, whatsminer: 20 }));
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 101);
  assert.equal(counts.antminer, 40 + 1);
});

test('bind ranges hand out host addresses and refuse non-loopback', () => {
  const cidr = parseCidr('127.1.0.0/16');
  assert.equal(addressAt(cidr, 0), '127.1.0.1');
  assert.equal(addressAt(cidr, 253), '127.1.0.254');
  assert.equal(addressAt(cidr, 254), '127.1.1.1');
  assert.throws(() => parseCidr('10.0.0.0/16'), /outside 127.0.0.0\/8/);
  assert.throws(() => parseCidr('127.1.0.0'), /not an IPv4 range/);
  assert.throws(() => addressAt(parseCidr('127.1.0.0/24'), 254), /usable addresses/);
});

test('a seed reproduces the same site; faults land on distinct miners', () => {
  const a = planFleet(1000, { antminer: 1, whatsminer: 1 }, { hung: 2, garbage: 3, ignoreSleep: 5 }, 7, { portBase: 20000 }, 'm-');
  const b = planFleet(1000, { antminer: 1, whatsminer: 1 }, { hung: 2, garbage: 3, ignoreSleep: 5 }, 7, { portBase: 20000 }, 'm-');
  assert.deepEqual(a, b);
  assert.equal(a.filter((p) => p.faults.hung).length, 20);
  assert.equal(a.filter((p) => p.faults.garbage).length, 30);
  assert.equal(a.filter((p) => p.faults.hung || p.faults.garbage || p.faults.ignoreSleep).length, 100);
  assert.equal(a[1]?.wantedPorts.cgminer, 20003);
  assert.ok(new Set(a.map((p) => p.spec.model)).size >= 6, 'models are mixed');
  const c = planFleet(1000, { antminer: 1, whatsminer: 1 }, {}, 8, {}, 'm-');
  assert.notDeepEqual(a.map((p) => p.firmware), c.map((p) => p.firmware));
});
