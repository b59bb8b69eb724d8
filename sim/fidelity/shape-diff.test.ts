import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFamily, shapeDiff } from './shape-diff.js';

test('shape diff: same structure with other values is no difference', () => {
  assert.deepEqual(shapeDiff({ STATUS: [{ STATUS: 'S', Code: 11 }], SUMMARY: [{ 'GHS 5s': 1.5 }], id: 1 }, { STATUS: [{ STATUS: 'E', Code: 14 }], SUMMARY: [{ 'GHS 5s': 0 }], id: 7 }), []);
});

test('shape diff: missing, extra and retyped keys are named with their path', () => {
  const diff = shapeDiff({ SUMMARY: [{ Power: 3417, MAC: 'x' }] }, { SUMMARY: [{ Power: '3417', Extra: 1 }] });
  assert.deepEqual(diff, ['$.SUMMARY[0].Power: number in the capture, string from the emulator', '$.SUMMARY[0]: missing "MAC"', '$.SUMMARY[0]: "Extra" not in the capture']);
});

test('shape diff: indexed key families, null and array rules', () => {
  assert.equal(keyFamily('chain_acn4'), 'chain_acn#');
  assert.equal(keyFamily('Error Code 0'), 'Error Code #');
  assert.equal(keyFamily('GHS 5s'), 'GHS 5s');
  assert.deepEqual(shapeDiff({ fan1: 1, fan2: 2, fan3: 3, fan4: 4 }, { fan1: 9, fan2: 9, fan3: 9 }), []);
  assert.deepEqual(shapeDiff({ serial_number: null }, { serial_number: 'ABC' }), []);
  assert.deepEqual(shapeDiff({ pool_groups: [] }, { pool_groups: [{ name: 'x' }] }), []);
  assert.deepEqual(shapeDiff({ POOLS: [{ URL: 'a' }] }, { POOLS: [] }), ['$.POOLS: 1 element(s) in the capture, none from the emulator']);
  assert.deepEqual(shapeDiff({ STATS: [{ Type: 'a' }, { Elapsed: 1 }] }, { STATS: [{ Type: 'b' }, { Elapsed: 2 }, { Elapsed: 3 }] }), []);
  assert.deepEqual(shapeDiff({ a: { b: [1.5] } }, { a: { b: ['x'] } }), ['$.a.b[0]: number in the capture, string from the emulator']);
});
