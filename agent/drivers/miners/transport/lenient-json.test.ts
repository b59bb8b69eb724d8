import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLenientJson } from './lenient-json.js';
import { isAppError } from '../../../../shared/errors.js';

const cases: Array<{ name: string; input: string; expected: unknown }> = [
  { name: 'valid JSON passes unchanged', input: '{"a":1,"b":[1,2]}', expected: { a: 1, b: [1, 2] } },
  { name: 'trailing NUL terminator', input: '{"a":1}\0', expected: { a: 1 } },
  { name: 'trailing comma before }', input: '{"STATUS":[{"STATUS":"S","When":1,}],"id":1}', expected: { STATUS: [{ STATUS: 'S', When: 1 }], id: 1 } },
  { name: 'trailing comma before ] and whitespace', input: '{"a":[1,2, ]\n}', expected: { a: [1, 2] } },
  { name: 'objects glued with }{ (cgminer stats)', input: '{"STATS":[{"a":1}{"b":2}],"id":1}', expected: { STATS: [{ a: 1 }, { b: 2 }], id: 1 } },
  { name: 'glued with whitespace between', input: '{"STATS":[{"a":1} \n {"b":2}]}', expected: { STATS: [{ a: 1 }, { b: 2 }] } },
  { name: 'bare inf, -inf, nan, -nan become null', input: '{"a":inf,"b":-inf,"c":nan,"d":-nan,"e":1.5}', expected: { a: null, b: null, c: null, d: null, e: 1.5 } },
  { name: 'quoted "inf" stays a string', input: '{"a":"inf","b":"nan,}"}', expected: { a: 'inf', b: 'nan,}' } },
  { name: 'braces inside strings are not touched', input: '{"Msg":"a }{ b","x":[1,],}', expected: { Msg: 'a }{ b', x: [1] } },
  { name: 'raw control characters inside strings', input: '{"Msg":"line1\nline2\ttab"}', expected: { Msg: 'line1\nline2\ttab' } },
  { name: 'escaped quotes inside strings', input: '{"Msg":"say \\"hi\\",}","n":1,}', expected: { Msg: 'say "hi",}', n: 1 } },
  { name: 'true/false/null survive repair', input: '{"a":true,"b":false,"c":null,"d":nan}', expected: { a: true, b: false, c: null, d: null } },
];

for (const c of cases) {
  test(`lenient JSON: ${c.name}`, () => {
    assert.deepEqual(parseLenientJson(c.input), c.expected);
  });
}

test('lenient JSON: garbage is a PARSE error naming where and showing an excerpt', () => {
  assert.throws(
    () => parseLenientJson('\x01\x02HTTP/1.1 400 Bad', '10.0.0.1:4028 reply'),
    (err: unknown) => isAppError(err, 'PARSE') && /10\.0\.0\.1:4028 reply/.test(err.message) && /HTTP\/1\.1 400/.test(err.message),
  );
});

test('lenient JSON: empty reply is a PARSE error', () => {
  assert.throws(() => parseLenientJson('\0'), (err: unknown) => isAppError(err, 'PARSE') && /empty/.test(err.message));
});
