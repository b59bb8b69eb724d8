import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRegisters, encodeRegisters, type RegisterType, type ValueFormat } from './register-codec.js';

const fmt = (type: RegisterType, wordOrder: 'big' | 'little' = 'big', scale = 1): ValueFormat => ({ type, wordOrder, scale });

function ok(words: number[], format: ValueFormat): number {
  const r = decodeRegisters(words, format);
  assert.ok(r.ok, `expected a value, got: ${r.ok ? '' : r.reason}`);
  return r.value;
}

// Words written out by hand from the IEEE 754 / two's complement layouts, so
// the test does not just check the codec against itself.
const CASES: { name: string; type: RegisterType; big: number[]; value: number }[] = [
  { name: 'int16 negative', type: 'int16', big: [0xfffe], value: -2 },
  { name: 'uint16 max', type: 'uint16', big: [0xffff], value: 65535 },
  { name: 'int32 negative', type: 'int32', big: [0xfffe, 0x1dc0], value: -123456 },
  { name: 'uint32 above 2^31', type: 'uint32', big: [0x8000, 0x0001], value: 2147483649 },
  // 123456.0 = 0x47F12000 (SDM630 "Total system power" of a 123 kW site)
  { name: 'float32', type: 'float32', big: [0x47f1, 0x2000], value: 123456 },
  { name: 'float32 negative fraction', type: 'float32', big: [0xc0a8, 0x0000], value: -5.25 },
  { name: 'int64 negative', type: 'int64', big: [0xffff, 0xffff, 0xffff, 0xfffe], value: -2 },
  { name: 'int64 large', type: 'int64', big: [0x0000, 0x0001, 0x0000, 0x0000], value: 2 ** 32 },
  { name: 'uint64', type: 'uint64', big: [0x0000, 0x00e8, 0xd4a5, 0x1000], value: 1e12 },
  // 1234.5678 = 0x40934A456D5CFAAD
  { name: 'float64', type: 'float64', big: [0x4093, 0x4a45, 0x6d5c, 0xfaad], value: 1234.5678 },
];

for (const c of CASES) {
  test(`decodes ${c.name} in big and little word order`, () => {
    assert.equal(ok(c.big, fmt(c.type, 'big')), c.value);
    assert.equal(ok([...c.big].reverse(), fmt(c.type, 'little')), c.value);
  });
  test(`encodes ${c.name} back to the same words`, () => {
    assert.deepEqual(encodeRegisters(c.value, fmt(c.type, 'big')), c.big);
    assert.deepEqual(encodeRegisters(c.value, fmt(c.type, 'little')), [...c.big].reverse());
  });
}

test('scale turns raw units into reading units', () => {
  assert.equal(ok([0x47f1, 0x2000], fmt('float32', 'big', 0.001)), 123.456);
  assert.equal(ok([0x0000, 0x3039], fmt('uint32', 'big', 0.1)), 1234.5);
  assert.equal(ok([0xfffe], fmt('int16', 'big', -10)), 20);
  assert.deepEqual(encodeRegisters(1234.5, fmt('uint32', 'big', 0.1)), [0x0000, 0x3039]);
});

test('refuses NaN and infinities instead of passing them on as power', () => {
  const nan = decodeRegisters([0x7fc0, 0x0000], fmt('float32'));
  assert.deepEqual(nan, { ok: false, reason: 'float32 value is NaN' });
  const inf = decodeRegisters([0x7f80, 0x0000], fmt('float32'));
  assert.deepEqual(inf, { ok: false, reason: 'float32 value is infinite' });
  const negInf = decodeRegisters([0xfff0, 0, 0, 0], fmt('float64'));
  assert.equal(negInf.ok, false);
  // Finite raw value that overflows once scaled.
  const overflow = decodeRegisters([0x7fef, 0xffff, 0xffff, 0xffff], fmt('float64', 'big', 10));
  assert.equal(overflow.ok, false);
});

test('refuses a wrong word count or words outside 16 bits', () => {
  assert.deepEqual(decodeRegisters([1], fmt('float32')), { ok: false, reason: 'expected 2 register(s) for float32, got 1' });
  assert.equal(decodeRegisters([0x10000], fmt('uint16')).ok, false);
  assert.equal(decodeRegisters([-1], fmt('int16')).ok, false);
});

test('encoding refuses values the type cannot hold', () => {
  assert.throws(() => encodeRegisters(70000, fmt('uint16')), /out of range for uint16/);
  assert.throws(() => encodeRegisters(-1, fmt('uint32')), /out of range for uint32/);
  assert.throws(() => encodeRegisters(Number.NaN, fmt('float32')), /cannot encode NaN/);
});
