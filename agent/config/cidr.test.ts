import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsOf, parseCidrRange } from './cidr.js';

test('agent ranges: every address is a candidate host, the first and last too (as hashwatt scan)', () => {
  assert.deepEqual(hostsOf('127.77.0.0/30'), ['127.77.0.0', '127.77.0.1', '127.77.0.2', '127.77.0.3']);
  assert.deepEqual(hostsOf('10.0.0.9/32'), ['10.0.0.9']);
  assert.equal(hostsOf('10.1.0.0/16').length, 65_536);
  assert.deepEqual(hostsOf('10.0.0.0/8'), [], 'beyond a /16 is refused by the schema, not expanded');
  assert.equal(parseCidrRange('10.0.0.0/8').ok, false);
});
