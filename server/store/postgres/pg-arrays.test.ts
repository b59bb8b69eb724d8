import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pgArrayLiteral, pgTextList, TEXT_LIST_SEPARATOR } from './pg-arrays.js';

test('pgArrayLiteral: numbers at full precision, nulls and flags as PostgreSQL array input reads them', () => {
  assert.equal(pgArrayLiteral([]), '{}');
  assert.equal(pgArrayLiteral([1764583200000, -2.5, 0.1 + 0.2, null, true, false]), '{1764583200000,-2.5,0.30000000000000004,NULL,t,f}');
});

test('pgTextList: texts joined by the separator; null (send a text[] instead) when one holds it or is empty', () => {
  assert.equal(pgTextList(['{"a":"x\\"y"}', '{\n\t"b": "é🔥"\r\n}']), `{"a":"x\\"y"}${TEXT_LIST_SEPARATOR}{\n\t"b": "é🔥"\r\n}`);
  assert.equal(pgTextList([`a${TEXT_LIST_SEPARATOR}b`, 'c']), null);
  assert.equal(pgTextList(['a', '']), null);
});
